// The exact nvidia-smi invocations the GPU monitor makes. The field order here is the column
// order the parsers in nvidia-smi-csv.ts expect; change both together.

const DEVICE_FIELDS = ['index', 'uuid', 'memory.used', 'memory.total', 'utilization.gpu'];
const PROCESS_FIELDS = ['pid', 'gpu_uuid', 'used_memory'];

// No header: in loop mode it is printed once, so it marks nothing, and the parsers skip it anyway.
// No units: plain numbers; the parsers accept units too, in case a driver prints them regardless.
const CSV_FORMAT = '--format=csv,noheader,nounits';

/** Arguments for the long-lived sampler: one row per GPU every `intervalMs`. */
export function buildDeviceLoopArgs(intervalMs: number): string[] {
  return [`--query-gpu=${DEVICE_FIELDS.join(',')}`, CSV_FORMAT, '-lms', String(Math.max(1, Math.round(intervalMs)))];
}

/** Arguments for one compute-process query; it prints nothing when no process uses a GPU, then exits. */
export function buildProcessQueryArgs(): string[] {
  return [`--query-compute-apps=${PROCESS_FIELDS.join(',')}`, CSV_FORMAT];
}
