import { DIST_MODES, type ChunkConfig, type LeakConfig, type RunChunksConfig } from './types.js';

// Field specs are data, typed against the config interfaces: a config key without a spec (or a
// spec without a key) is a compile error. The validator and the generated JSON Schema both read
// them, so the two can never disagree.

/** How one config field is checked and documented. */
export type FieldSpec =
  | { kind: 'string'; description: string; pattern?: RegExp; patternHint?: string; maxLength?: number }
  | { kind: 'string-array'; description: string; minItems?: number }
  | { kind: 'integer'; description: string; min: number; max: number; allowAuto?: boolean }
  | { kind: 'boolean'; description: string }
  | { kind: 'enum'; description: string; values: readonly string[] }
  | { kind: 'duration'; description: string }
  | { kind: 'env'; description: string }
  | { kind: 'size'; description: string; allowPercent: boolean }
  | { kind: 'interval'; description: string }
  | { kind: 'leak'; description: string };

/** Chunk names become folder names under the report dir, so they are kept path-safe. */
export const CHUNK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Every field a chunk (or `defaults`) may set. */
export const CHUNK_FIELDS = {
  name: {
    kind: 'string',
    description: 'Unique chunk name; used with --chunk and as the folder name of its report.',
    pattern: CHUNK_NAME_PATTERN,
    patternHint: 'use letters, digits, "_", "-" and "." only, starting with a letter or digit',
    maxLength: 64,
  },
  description: {
    kind: 'string',
    description: 'One line shown by --list.',
    // Printed as is by --list and the reports: a newline or a terminal escape there would forge output.
    pattern: /^[^\u0000-\u001f\u007f-\u009f]*$/,
    patternHint: 'it must be one line, without control characters',
  },
  markers: { kind: 'string', description: 'pytest marker expression, passed as -m.' },
  paths: { kind: 'string-array', description: 'Test paths or glob patterns (relative to cwd); default: the top-level testPaths.' },
  keyword: { kind: 'string', description: 'pytest keyword expression, passed as -k.' },
  args: { kind: 'string-array', description: 'Extra arguments appended to the chunk\'s command.' },
  workers: {
    kind: 'integer',
    description: 'pytest-xdist worker count (-n); 1 runs without xdist; "auto" picks it from the per-worker peak in history, the memory available (or --memory-budget) and the cores.',
    min: 1,
    max: 512,
    allowAuto: true,
  },
  dist: {
    kind: 'enum',
    description:
      'pytest-xdist distribution mode (--dist). "memory" is run-chunks\' own: xdist\'s load distribution, but a test starts only when its forecast peak (its p95 in this chunk\'s history) fits the memoryLimit, or the memory available, beside what the other workers hold.',
    values: DIST_MODES,
  },
  timeout: { kind: 'duration', description: 'Wall-clock limit such as "90s", "30m" or "1h30m"; the chunk is stopped when it passes.' },
  gracePeriod: { kind: 'duration', description: 'Time between SIGTERM and SIGKILL when the chunk is stopped (default "5s").' },
  env: { kind: 'env', description: 'Environment variables added to the chunk\'s processes.' },
  required: { kind: 'boolean', description: 'When false, a failing chunk is reported but does not fail the run (default true).' },
  allowEmpty: { kind: 'boolean', description: 'When true, selecting no tests (pytest exit 5) is not an error (default false).' },
  cwd: { kind: 'string', description: 'Working directory of the chunk, relative to the top-level cwd.' },
  command: { kind: 'string-array', description: 'For runner "command": the argv to run; "{workers}" is replaced by the worker count, "{junit}" by the absolute path <report-dir>/<chunk>/junit.xml where the command is to write its JUnit XML (then leave "junit" unset).', minItems: 1 },
  junit: { kind: 'string', description: 'For runner "command": path (relative to cwd) of a JUnit XML file the command writes; run-chunks copies it to <report-dir>/<chunk>/junit.xml and into the run\'s junit.xml. Not with "{junit}" in "command".' },
  memoryLimit: {
    kind: 'size',
    description: 'Memory the chunk\'s process tree may use (PSS on Linux, else RSS): "4GB", "512MiB", or "60%" of the machine\'s (or its cgroup\'s) memory. Over it, the chunk is stopped.',
    allowPercent: true,
  },
  gpuMemoryLimit: {
    kind: 'size',
    description: 'GPU memory the chunk may use (from nvidia-smi): "20GB", or a % of the GPUs\' total memory. Over it, the chunk is stopped.',
    allowPercent: true,
  },
  sampleInterval: { kind: 'interval', description: 'How often the chunk\'s memory is sampled: "500ms" (default), "0.2s", or a number of milliseconds.' },
  rest: {
    kind: 'boolean',
    description: 'When true, the chunk selects every test that no other chunk selects (its markers, keyword and paths are ignored), so nothing is orphaned.',
  },
  memoryEstimate: {
    kind: 'size',
    description: 'Expected peak memory, for --memory-budget scheduling when the chunk has no history yet: "2GB", "25%".',
    allowPercent: true,
  },
  retryOnOom: {
    kind: 'integer',
    description: 'Recovery rounds after an oom or memory-limit kill, or a test whose process died under it (default 1): each blamed test alone, then the tests without a result with half the workers. 0 turns it off.',
    min: 0,
    max: 5,
  },
  leak: { kind: 'leak', description: 'Leak verdict thresholds: {"maxGrowthPercent": 10, "maxSlope": "1MB/s", "warmup": "5s"}.' },
} as const satisfies Record<keyof ChunkConfig, FieldSpec>;

/** Top-level fields other than `defaults` and `chunks`, which have their own rules. */
export const TOP_LEVEL_FIELDS = {
  $schema: { kind: 'string', description: 'JSON Schema reference, for editors.' },
  runner: { kind: 'enum', description: 'How chunks run: "pytest" (default) or "command".', values: ['pytest', 'command'] },
  python: { kind: 'string', description: 'Python interpreter for pytest chunks (a path is relative to the config file); default: .venv/bin/python in cwd or beside the config file, else python3.' },
  cwd: { kind: 'string', description: 'Working directory for every chunk, relative to the config file (default: its folder).' },
  testPaths: { kind: 'string-array', description: 'Test paths used by chunks that set no paths of their own.' },
  collectTimeout: { kind: 'duration', description: 'Limit for each pytest --collect-only that run-chunks runs (rest chunks, --shard, run-chunks plan); default "60s".' },
} as const satisfies Record<Exclude<keyof RunChunksConfig, 'defaults' | 'chunks'>, FieldSpec>;

/** Fields that only mean something for one runner. */
export const PYTEST_ONLY_FIELDS: readonly (keyof ChunkConfig)[] = ['markers', 'keyword', 'dist', 'rest'];
/** Placeholder in a command's argv for the path run-chunks chooses for its JUnit file (<report-dir>/<chunk>/junit.xml). */
export const JUNIT_PLACEHOLDER = '{junit}';

export const COMMAND_ONLY_FIELDS: readonly (keyof ChunkConfig)[] = ['command', 'junit'];

/** The keys of a chunk's `leak` object, with their descriptions. */
export const LEAK_FIELDS = {
  maxGrowthPercent: 'Growth allowed from start to end in % of the start (default: 5% up to 1 min, 10% at 5 min, 15% from 10 min).',
  maxSlope: 'Sustained growth rate that is a leak, e.g. "1MB/s" (the default).',
  warmup: 'Start-up time left out of the verdict, e.g. "5s" (the default).',
} as const satisfies Record<keyof LeakConfig, string>;

/** Most chunks a config may have: each is a pytest run of its own, so more is a generated config gone wrong. */
export const MAX_CHUNKS = 10_000;

/** Largest size accepted anywhere: beyond a pebibyte it is a typo. */
export const MAX_SIZE_BYTES = 2 ** 50;
