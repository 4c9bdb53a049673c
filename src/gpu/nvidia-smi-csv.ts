// Pure parsers for nvidia-smi's CSV query output. No processes, no I/O.
//
// What real nvidia-smi prints (researched from public sources; no GPU was at hand to check).
// References are GitHub issues and files, written owner/repo#number or owner/repo:path.
//
// - `--query-gpu=index,uuid,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits`
//   prints one line per GPU, in index order, fields joined by ", ":
//     0, GPU-004f693d-767b-b215-b4a9-a18af0ffd643, 802, 12206, 0
//     1, GPU-86fe97db-bf54-a056-4e8d-9b07e1a298e7, 10032, 12206, 86
//   (wookayin/gpustat#5: eight TITAN X rows in that form.)
// - Without `noheader` the first line names the columns, with units in brackets, and without
//   `nounits` the values carry them:
//     index, uuid, memory.used [MiB], memory.total [MiB], utilization.gpu [%]
//     0, GPU-2762b558-7fac-024b-2b6f-209a2e06b94c, 21246 MiB, 23034 MiB, 0 %
//   (a vLLM deployment note on GitHub quoting `--query-gpu=index,uuid,memory.used,memory.total
//   --format=csv` on four GPUs; the header keeps its "[MiB]" even with `nounits`, as in telemetry
//   logs of `--format=csv,nounits`: "timestamp, utilization.gpu [%], memory.used [MiB], ...".)
// - `--query-compute-apps=pid,gpu_uuid,used_memory` names the memory column `used_gpu_memory [MiB]`:
//     pid, gpu_uuid, used_gpu_memory [MiB]
//     10042, GPU-777aa4a9-8dac-a61b-5b5a-118d3e947546, 4435 MiB
//   With no compute processes it prints the header alone, or nothing at all with `noheader`
//   (wookayin/gpustat#18: "nvidia-smi shows nothing with parameters that you mentioned";
//   a HAMi setup guide on GitHub: "the process query returned only its header"). Exit code 0.
//   We never ask for `process_name`: it may itself contain commas (a Chrome GPU process's
//   command line), which breaks splitting on ", ".
// - Missing values are bracketed words in CSV, in both unit modes: `[N/A]` (enkore/i3pystatus#776,
//   newer drivers), `[Not Supported]` (the same PR, older drivers), `[Insufficient Permissions]`
//   (Stability-AI/StableSwarmUI#388: memory.* in an unprivileged MIG container, with
//   utilization.gpu `[N/A]`). Process memory is N/A under Windows WDDM (influxdata/telegraf#12996,
//   XML form). Bare `N/A` is the -q/XML form. We read any bracketed value, and bare N/A, as null.
// - Loop mode (`-l SEC`, `-lms MS`) repeats only the data rows: the header is printed once, at the
//   start, and there is no blank line between iterations (eryl/gpulog:log_gpu_utilization.sh logs
//   `--format=csv -l 1 -f FILE`, and its plot_nvidia_dump.py reads that file with one header row,
//   turning every other row's "[%]" column into floats; polybar/polybar-scripts#42 shows
//   `--loop=1 ... noheader,nounits` as one row per second). Rows arrive per iteration through a
//   pipe: that polybar module reads it live through `sed -u`, loiccoyle/dots:.config/eww/windows/
//   bar/gpu/nvidia.sh through `while read`. The man page warns that on Linux, ECC and XID events
//   are printed during the sleep between iterations (netdata/netdata#7372 quotes it), so a loop's
//   output may hold lines that are not rows. A compute-apps iteration without processes has no
//   rows (a one-shot query prints nothing), and no source shows its header repeating, so that
//   loop's output cannot mark where a tick ends; nothing here depends on it.
// - Without a driver it prints "NVIDIA-SMI has failed because it couldn't communicate with the
//   NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running." and exits
//   with 9 (a run log on GitHub: "nvidia-smi returned exit 9: couldn't communicate with the NVIDIA
//   driver"; canonical/inference-snaps#199: "exit status 9"). Errors go to stdout, not stderr
//   (utkuozdemir/nvidia_gpu_exporter#63, anderskm/gputil#63, edgelesssys/contrast#1411).
//   A driver/library mismatch prints "Failed to initialize NVML: Driver/library version
//   mismatch" and exits 18 (anderskm/gputil#55).
//
// Where sources are silent we stay lenient: values with or without units, with or without a
// header, any bracketed marker as null; anything else on a line makes the line garbage, which
// callers skip. Parsers never throw.

/** One GPU at one moment, as `--query-gpu` reports it. */
export interface GpuDeviceReading {
  index: number;
  uuid: string;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  utilizationPercent: number | null;
}

/** One compute process on a GPU, as `--query-compute-apps` reports it. */
export interface GpuProcessReading {
  pid: number;
  gpuUuid: string;
  usedMemoryBytes: number | null;
}

const BYTES_PER_MIB = 1024 * 1024;
// Past these a figure cannot be a reading (8 PiB of GPU memory) and would not stay exact as a
// double: 400 nines would even become Infinity. Such a row is garbage, like any other.
const MAX_MIB = Math.floor(Number.MAX_SAFE_INTEGER / BYTES_PER_MIB);
const MAX_FIGURE = Number.MAX_SAFE_INTEGER;

// A value that is present but says "no reading": `[N/A]`, `[Not Supported]`, `[Unknown Error]`...
const NULL_MARKER = /^\[[^\]]*\]$|^N\/A$/;

/** Splits a CSV row on nvidia-smi's ", " separator (its values never contain commas for our fields). */
function splitFields(line: string): string[] {
  return line.split(',').map((field) => field.trim());
}

/** A non-negative whole number that a double holds exactly, or undefined. */
function parseCount(field: string): number | undefined {
  if (!/^\d+$/.test(field)) return undefined;
  const count = Number(field);
  return Number.isSafeInteger(count) ? count : undefined;
}

/** A UUID-like token: one word, not a null marker (a header's "uuid" passes, but never alone). */
function parseIdentifier(field: string): string | undefined {
  return /^\S+$/.test(field) && !NULL_MARKER.test(field) ? field : undefined;
}

/**
 * A measurement with an optional unit suffix: a number up to `max`, null for a marker, undefined
 * for garbage. `unit` is what `--format=csv` without `nounits` appends ("MiB", "%").
 */
function parseMeasure(field: string, unit: string, max: number): number | null | undefined {
  if (NULL_MARKER.test(field)) return null;
  const bare = field.endsWith(unit) ? field.slice(0, -unit.length).trimEnd() : field;
  if (!/^\d+(\.\d+)?$/.test(bare)) return undefined;
  const value = Number(bare);
  return value <= max ? value : undefined;
}

function mibToBytes(mib: number | null): number | null {
  return mib === null ? null : Math.round(mib * BYTES_PER_MIB);
}

/** Parses one `index, uuid, memory.used, memory.total, utilization.gpu` row; undefined for headers and garbage. */
export function parseGpuQueryLine(line: string): GpuDeviceReading | undefined {
  const fields = splitFields(line);
  if (fields.length !== 5) return undefined;
  const [indexField, uuidField, usedField, totalField, utilizationField] = fields as [string, string, string, string, string];
  const index = parseCount(indexField);
  const uuid = parseIdentifier(uuidField);
  const usedMiB = parseMeasure(usedField, 'MiB', MAX_MIB);
  const totalMiB = parseMeasure(totalField, 'MiB', MAX_MIB);
  const utilizationPercent = parseMeasure(utilizationField, '%', MAX_FIGURE);
  if (index === undefined || uuid === undefined) return undefined;
  if (usedMiB === undefined || totalMiB === undefined || utilizationPercent === undefined) return undefined;
  return { index, uuid, memoryUsedBytes: mibToBytes(usedMiB), memoryTotalBytes: mibToBytes(totalMiB), utilizationPercent };
}

/** Parses one `pid, gpu_uuid, used_memory` row; undefined for headers and garbage. */
export function parseComputeAppsLine(line: string): GpuProcessReading | undefined {
  const fields = splitFields(line);
  if (fields.length !== 3) return undefined;
  const [pidField, uuidField, usedField] = fields as [string, string, string];
  const pid = parseCount(pidField);
  const gpuUuid = parseIdentifier(uuidField);
  const usedMiB = parseMeasure(usedField, 'MiB', MAX_MIB);
  if (pid === undefined || pid === 0 || gpuUuid === undefined || usedMiB === undefined) return undefined;
  return { pid, gpuUuid, usedMemoryBytes: mibToBytes(usedMiB) };
}

/** Every GPU row of a one-shot `--query-gpu` output, skipping headers, blank lines and garbage. */
export function parseGpuQueryOutput(text: string): GpuDeviceReading[] {
  return collectRows(text, parseGpuQueryLine);
}

/** Every process row of a one-shot `--query-compute-apps` output (empty when no process uses a GPU). */
export function parseComputeAppsOutput(text: string): GpuProcessReading[] {
  return collectRows(text, parseComputeAppsLine);
}

function collectRows<T>(text: string, parseLine: (line: string) => T | undefined): T[] {
  const rows: T[] = [];
  for (const line of text.split(/\r?\n/)) {
    const row = parseLine(line);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}
