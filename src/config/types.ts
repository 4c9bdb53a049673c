// The one declared shape of `chunks.config.json`. The JSON Schema in schema/ is generated from
// the field specs in config-fields.ts, which are typed against these interfaces.

/** How a chunk's command is built: a pytest invocation, or an argv array of the user's. */
export type RunnerKind = 'pytest' | 'command';

/** pytest-xdist distribution modes accepted for `dist`. */
/** pytest-xdist distribution modes accepted for `dist`, and run-chunks' own `memory` (xdist's load, scheduled by forecast). */
export const DIST_MODES = ['load', 'loadscope', 'loadfile', 'loadgroup', 'worksteal', 'each', 'no', 'memory'] as const;
export type DistMode = (typeof DIST_MODES)[number];

/** Per-chunk thresholds for the leak verdict (defaults follow the seeds: 5–15% growth, 1 MB/s). */
export interface LeakConfig {
  /** Growth allowed from start to end, in % of the start; default depends on the run's length. */
  maxGrowthPercent?: number;
  /** Sustained growth rate that counts as a leak, e.g. "1MB/s". */
  maxSlope?: string;
  /** Start-up time excluded from the verdict (model loading is not a leak), e.g. "5s". */
  warmup?: string;
}

/** Fields a chunk may set; every one but `name` may also appear under `defaults`. */
export interface ChunkConfig {
  name: string;
  description?: string;
  markers?: string;
  paths?: string[];
  keyword?: string;
  args?: string[];
  workers?: number | 'auto';
  dist?: DistMode;
  timeout?: string;
  gracePeriod?: string;
  env?: Record<string, string>;
  required?: boolean;
  allowEmpty?: boolean;
  cwd?: string;
  command?: string[];
  /** Where the command writes its JUnit XML (relative to cwd); `{junit}` in `command` instead lets run-chunks choose. */
  junit?: string;
  memoryLimit?: string;
  gpuMemoryLimit?: string;
  sampleInterval?: string | number;
  leak?: LeakConfig;
  retryOnOom?: number;
  memoryEstimate?: string;
  rest?: boolean;
}

/** Chunk fields that `defaults` may carry. */
export type ChunkDefaults = Omit<ChunkConfig, 'name'>;

/** The whole configuration file. */
export interface RunChunksConfig {
  $schema?: string;
  runner?: RunnerKind;
  python?: string;
  cwd?: string;
  testPaths?: string[];
  collectTimeout?: string;
  defaults?: ChunkDefaults;
  chunks: ChunkConfig[];
}

/** A validated config together with where it came from (paths resolve against `configDir`). */
export interface LoadedConfig {
  config: RunChunksConfig;
  configPath: string;
  configDir: string;
}
