import type { SizeSpec } from '../config/parse-size.js';
import type { RunnerKind } from '../config/types.js';
import type { LeakThresholds } from '../monitor/leak-verdict.js';
import type { TestPeakForecast } from '../history/test-peak-stats.js';
import type { PytestInvocation } from './pytest-invocation.js';

/** Everything needed to run one chunk, decided before any process starts. */
export interface ChunkPlan {
  name: string;
  description: string | undefined;
  runner: RunnerKind;
  /** The exact argv: argv[0] is the program; never joined into a shell string to run. */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  /** Variables added to the inherited environment. */
  env: Record<string, string>;
  workers: number;
  /** Why this worker count, when run-chunks chose it (workers: "auto"). */
  workersReason: string | undefined;
  timeoutMs: number | undefined;
  gracePeriodMs: number;
  required: boolean;
  allowEmpty: boolean;
  /** Absolute path of the JUnit XML file the chunk writes, when it writes one. */
  junitPath: string | undefined;
  /** Absolute folder for this chunk's log and results. */
  chunkReportDir: string;
  /** Absolute path of the chunk's combined stdout/stderr log. */
  logFile: string;
  /** The interpreter for pytest chunks (checked before running). */
  python: string | undefined;
  /** True when the command uses pytest-xdist (-n), so xdist must be importable. */
  needsXdist: boolean;
  /** How often the chunk's process tree is sampled. */
  sampleIntervalMs: number;
  /** Memory the tree may use (resolved against the machine's memory when a percentage). */
  memoryLimit: SizeSpec | undefined;
  /** GPU memory the chunk may use (a percentage is of the GPUs' total). */
  gpuMemoryLimit: SizeSpec | undefined;
  leakThresholds: LeakThresholds;
  /** What pytest runs (to rebuild the argv for a recovery attempt); undefined for runner "command". */
  pytest: PytestInvocation | undefined;
  /** Where the bundled pytest plugin writes test events; undefined when it is not loaded. */
  eventsFile: string | undefined;
  /** Recovery rounds after an oom or memory-limit kill (0: none). */
  retryOnOom: number;
  /** Expected peak memory for scheduling, when there is no history. */
  memoryEstimate: SizeSpec | undefined;
  /** Selects every test no other chunk selects (computed when the run starts). */
  rest: boolean;
  /** Set when this run is one shard of the chunk (--shard I/N). */
  shard?: { index: number; count: number; tests: number; collected: number };
  /** `"dist": "memory"`: each test's peak forecast from this chunk's history (empty without history). */
  testForecasts?: ReadonlyMap<string, TestPeakForecast>;
}

/** The CLI's choices that shape plans. */
export interface PlanOptions {
  /** Chunk names from --chunk; empty means every chunk. */
  selectedChunks: string[];
  /** --no-parallel: run every chunk with one worker (no xdist). */
  noParallel: boolean;
  /** Absolute report directory. */
  reportDir: string;
  /** Arguments after `--`, appended to every chunk's command. */
  passthroughArgs: string[];
  /** The interpreter resolved for this project (see resolve-python.ts). */
  python: string;
  /** Folder of the bundled pytest plugin; undefined runs pytest chunks without it. */
  pluginDir?: string;
  /** PYTHONPATH of run-chunks' own environment, kept behind the plugin's folder. */
  inheritedPythonPath?: string;
  /** --retry-on-oom: overrides every chunk's retryOnOom. */
  retryOnOom?: number;
  /** Picks the worker count of a chunk with workers: "auto" (from history, memory and cores). */
  autoWorkers?: (chunkName: string) => { workers: number; reason: string };
  /** --sample-interval: overrides every chunk's sampleInterval. */
  sampleIntervalMs?: number;
  /** Expands a glob pattern in a test path (relative to `cwd`); absent: patterns pass through. */
  expandGlob?: (pattern: string, cwd: string) => string[];
  /** The real path of a matched file (symlinks resolved), so a file two patterns match under two names is passed once. */
  realPath?: (file: string, cwd: string) => string;
}
