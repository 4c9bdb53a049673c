import path from 'node:path';
import { findClosestName } from '../config/did-you-mean.js';
import { parseDurationMs, parseIntervalMs } from '../config/parse-duration.js';
import { parseSizeBytes, parseSizeSpec } from '../config/parse-size.js';
import { JUNIT_PLACEHOLDER } from '../config/config-fields.js';
import type { ChunkConfig, ChunkDefaults, LeakConfig, LoadedConfig, RunnerKind } from '../config/types.js';
import { DEFAULT_LEAK_THRESHOLDS, type LeakThresholds } from '../monitor/leak-verdict.js';
import { UserError } from '../util/user-error.js';
import { isGlobPattern } from './expand-path-globs.js';
import { buildPytestArgv, type PytestInvocation } from './pytest-invocation.js';
import type { ChunkPlan, PlanOptions } from './types.js';

/** Grace between SIGTERM and SIGKILL when a chunk sets none; pytest needs a moment to write JUnit. */
export const DEFAULT_GRACE_PERIOD_MS = 5_000;

/** How often memory is sampled when neither the flag nor the config says. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 500;

/** The leak thresholds of a chunk: its `leak` fields over the defaults. */
export function resolveLeakThresholds(leak: LeakConfig | undefined): LeakThresholds {
  const slope = leak?.maxSlope === undefined ? undefined : parseSizeBytes(leak.maxSlope.trim().replace(/\/s$/, ''));
  return {
    maxGrowthPercent: leak?.maxGrowthPercent ?? DEFAULT_LEAK_THRESHOLDS.maxGrowthPercent,
    maxSlopeBytesPerSec: slope ?? DEFAULT_LEAK_THRESHOLDS.maxSlopeBytesPerSec,
    warmupMs: (leak?.warmup === undefined ? undefined : parseDurationMs(leak.warmup)) ?? DEFAULT_LEAK_THRESHOLDS.warmupMs,
  };
}

/** Recovery rounds after an OOM or memory-limit kill when neither flag nor config says. */
export const DEFAULT_RETRY_ON_OOM = 1;

/** File name of a chunk's test-event stream inside its report folder. */
export const EVENTS_FILE_NAME = 'events.jsonl';

/** Variable set in every chunk process, naming its chunk (also how leftovers are recognised). */
export const CHUNK_ENV_MARKER = 'RUN_CHUNKS_CHUNK';

/**
 * Merges defaults under a chunk: the chunk's own value wins, except that `env` maps are combined
 * (the chunk's variables win) and `args` add up (the defaults' first, then the chunk's), so an
 * argument every chunk shares is written once.
 */
export function mergeChunkDefaults(defaults: ChunkDefaults | undefined, chunk: ChunkConfig): ChunkConfig {
  const merged: ChunkConfig = { ...defaults, ...chunk };
  if (defaults?.env || chunk.env) merged.env = { ...defaults?.env, ...chunk.env };
  if (defaults?.args && chunk.args) merged.args = [...defaults.args, ...chunk.args];
  return merged;
}

/** Picks the chunks named by --chunk (config order), or all; unknown names are a UserError. */
export function selectChunks(chunks: ChunkConfig[], selected: string[]): ChunkConfig[] {
  if (selected.length === 0) return chunks;
  const known = chunks.map((chunk) => chunk.name);
  const unknown = selected.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const hints = unknown.map((name) => {
      const closest = findClosestName(name, known);
      return closest ? `"${name}" (did you mean "${closest}"?)` : `"${name}"`;
    });
    throw new UserError(
      `Unknown chunk${unknown.length > 1 ? 's' : ''} ${hints.join(', ')} given to --chunk. Known chunks: ${listSome(known, 20)}. ` +
        'Run `run-chunks --list` to see them with their descriptions.',
    );
  }
  return chunks.filter((chunk) => selected.includes(chunk.name));
}

/**
 * Expands glob patterns among test paths with the injected matcher; a pattern matching nothing is
 * a UserError. A file that two patterns both match, under one name or two, is passed once (pytest
 * would run it twice).
 */
function expandTestPaths(chunkName: string, testPaths: string[], cwd: string, options: PlanOptions): string[] {
  if (!options.expandGlob) return testPaths;
  const expandGlob = options.expandGlob;
  const realPath = options.realPath ?? ((file: string) => file);
  // Real paths of what the chunk's patterns matched so far, and the paths written as they are.
  const seenReal = new Set<string>();
  const seen = new Set<string>();
  return testPaths.flatMap((testPath) => {
    if (!isGlobPattern(testPath)) {
      seen.add(testPath);
      return [testPath];
    }
    const matches = expandGlob(testPath, cwd);
    if (matches.length === 0) {
      throw new UserError(
        `Chunk "${chunkName}": the path pattern "${testPath}" matches nothing under ${cwd}. ` +
          'Fix the pattern (patterns are relative to the chunk\'s cwd), or remove it.',
      );
    }
    return matches.filter((match) => {
      const real = realPath(match, cwd);
      if (seen.has(match) || seenReal.has(real)) return false;
      seen.add(match);
      seenReal.add(real);
      return true;
    });
  });
}

/** Whether a command chunk leaves its JUnit file's path to run-chunks ("{junit}" in its argv). */
export function usesJunitPlaceholder(chunk: ChunkConfig): boolean {
  return (chunk.command ?? []).some((part) => part.includes(JUNIT_PLACEHOLDER));
}

/** File name of a chunk's JUnit file inside its report folder, whichever runner wrote it. */
export const CHUNK_JUNIT_FILE_NAME = 'junit.xml';

/**
 * Where a chunk's JUnit file is written: pytest's, and a command's that says "{junit}", go into the
 * chunk's report folder; a command's own "junit" path is relative to its cwd (run-chunks copies it
 * into the report folder after the run); without either there is none.
 */
function chooseJunitPath(runner: RunnerKind, chunk: ChunkConfig, cwd: string, chunkReportDir: string): string | undefined {
  if (runner === 'pytest' || usesJunitPlaceholder(chunk)) return path.join(chunkReportDir, CHUNK_JUNIT_FILE_NAME);
  return chunk.junit ? path.resolve(cwd, chunk.junit) : undefined;
}

function buildCommandArgv(chunk: ChunkConfig, workers: number, junitPath: string | undefined, options: PlanOptions): string[] {
  const command = (chunk.command ?? []).map((part) => {
    const withWorkers = part.replaceAll('{workers}', String(workers));
    return junitPath === undefined ? withWorkers : withWorkers.replaceAll(JUNIT_PLACEHOLDER, junitPath);
  });
  return [...command, ...(chunk.args ?? []), ...options.passthroughArgs];
}

/**
 * Turns a validated config and the CLI's options into one plan per selected chunk.
 * Pure apart from the injected `expandGlob`: no processes; `--dry-run` prints exactly what this returns.
 */
export function createPlans(loaded: LoadedConfig, options: PlanOptions): ChunkPlan[] {
  const { config, configDir } = loaded;
  const runner = config.runner ?? 'pytest';
  const projectCwd = path.resolve(configDir, config.cwd ?? '.');
  return selectChunks(config.chunks, options.selectedChunks).map((rawChunk) => {
    const chunk = mergeChunkDefaults(config.defaults, rawChunk);
    const auto = chunk.workers === 'auto' && !options.noParallel ? (options.autoWorkers?.(chunk.name) ?? { workers: 1, reason: 'workers "auto" without a chooser: 1' }) : undefined;
    const workers = options.noParallel ? 1 : (auto?.workers ?? (chunk.workers === 'auto' ? 1 : (chunk.workers ?? 1)));
    const cwd = path.resolve(projectCwd, chunk.cwd ?? '.');
    const chunkReportDir = path.join(options.reportDir, chunk.name);
    const junitPath = chooseJunitPath(runner, chunk, cwd, chunkReportDir);
    const pytest: PytestInvocation | undefined =
      runner === 'pytest'
        ? {
            python: options.python,
            // A rest chunk runs the whole suite, less what the others select (its own selection is ignored).
            testPaths: expandTestPaths(chunk.name, (chunk.rest === true ? undefined : chunk.paths) ?? config.testPaths ?? [], cwd, options),
            markers: chunk.rest === true ? undefined : chunk.markers,
            keyword: chunk.rest === true ? undefined : chunk.keyword,
            dist: chunk.dist,
            args: chunk.args ?? [],
            passthroughArgs: options.passthroughArgs,
            withEventPlugin: options.pluginDir !== undefined,
          }
        : undefined;
    const argv = pytest ? buildPytestArgv(pytest, workers, junitPath!) : buildCommandArgv(chunk, workers, junitPath, options);
    const eventsFile = pytest?.withEventPlugin ? path.join(chunkReportDir, EVENTS_FILE_NAME) : undefined;
    const env: Record<string, string> = { PYTHONUNBUFFERED: '1', ...chunk.env, [CHUNK_ENV_MARKER]: chunk.name };
    if (eventsFile !== undefined && options.pluginDir !== undefined) {
      // The plugin is imported by name: its folder goes first on the chunk's PYTHONPATH.
      const inherited = chunk.env?.PYTHONPATH ?? options.inheritedPythonPath;
      env.PYTHONPATH = inherited ? `${options.pluginDir}${path.delimiter}${inherited}` : options.pluginDir;
      env.RUN_CHUNKS_EVENTS_FILE = eventsFile;
    }
    return {
      name: chunk.name,
      description: chunk.description,
      runner,
      argv,
      cwd,
      env,
      workers,
      workersReason: auto?.reason,
      timeoutMs: chunk.timeout === undefined ? undefined : parseDurationMs(chunk.timeout),
      gracePeriodMs: chunk.gracePeriod === undefined ? DEFAULT_GRACE_PERIOD_MS : parseDurationMs(chunk.gracePeriod)!,
      required: chunk.required ?? true,
      allowEmpty: chunk.allowEmpty ?? false,
      junitPath,
      chunkReportDir,
      logFile: path.join(chunkReportDir, 'output.log'),
      python: runner === 'pytest' ? options.python : undefined,
      needsXdist: runner === 'pytest' && workers > 1,
      pytest,
      eventsFile,
      retryOnOom: options.retryOnOom ?? chunk.retryOnOom ?? DEFAULT_RETRY_ON_OOM,
      sampleIntervalMs:
        options.sampleIntervalMs ?? (chunk.sampleInterval === undefined ? undefined : parseIntervalMs(chunk.sampleInterval)) ?? DEFAULT_SAMPLE_INTERVAL_MS,
      memoryLimit: chunk.memoryLimit === undefined ? undefined : parseSizeSpec(chunk.memoryLimit),
      gpuMemoryLimit: chunk.gpuMemoryLimit === undefined ? undefined : parseSizeSpec(chunk.gpuMemoryLimit),
      leakThresholds: resolveLeakThresholds(chunk.leak),
      rest: chunk.rest === true,
      memoryEstimate: chunk.memoryEstimate === undefined ? undefined : parseSizeSpec(chunk.memoryEstimate),
    };
  });
}

/** The first `shown` items joined, then how many more there are (a message must stay readable). */
function listSome(items: readonly string[], shown: number): string {
  const more = items.length - shown;
  return more > 0 ? `${items.slice(0, shown).join(', ')} and ${more} more` : items.join(', ');
}
