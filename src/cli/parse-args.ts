import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CHUNK_NAME_PATTERN, MAX_SIZE_BYTES } from '../config/config-fields.js';
import { MAX_DURATION_MS, MAX_SAMPLE_INTERVAL_MS, MIN_SAMPLE_INTERVAL_MS, parseIntervalMs } from '../config/parse-duration.js';
import { parseSizeSpec } from '../config/parse-size.js';
import { escapeControlCharacters, quoteText } from '../config/quote-text.js';
import { DEFAULT_HISTORY_FILE } from '../history/history-types.js';
import { parseShardSpec, type ShardSpec } from '../plan/shard.js';
import { UserError } from '../util/user-error.js';

/** What the command line asked for. */
export interface CliOptions {
  config: string | undefined;
  chunks: string[];
  list: boolean;
  dryRun: boolean;
  noParallel: boolean;
  parallelChunks: number;
  reportDir: string;
  passthroughArgs: string[];
  sampleIntervalMs: number | undefined;
  gpu: 'auto' | 'on' | 'off';
  isolation: 'watchdog' | 'cgroup';
  failOnLeak: boolean;
  retryOnOom: number | undefined;
  progressIntervalMs: number;
  memoryBudget: string | undefined;
  shard: ShardSpec | undefined;
  historyFile: string;
}

/** Default report folder, relative to the current directory. */
export const DEFAULT_REPORT_DIR = '.run-chunks/report';

// Past this, "parallel chunks" is a typo: each chunk already runs its own xdist workers.
const MAX_PARALLEL_CHUNKS = 64;

const EXAMPLES = `
Examples:
  $ run-chunks                              run every chunk in chunks.config.json (or [tool.run-chunks] in pyproject.toml)
  $ run-chunks --chunk unit_fast            run one chunk (repeat, or use commas, for several)
  $ run-chunks --dry-run                    print each chunk's exact command; run nothing
  $ run-chunks --no-parallel                run every chunk without pytest-xdist workers
  $ run-chunks --parallel-chunks 2          run up to two chunks at once
  $ run-chunks --chunk stress -- -x -vv     pass "-x -vv" to every selected chunk's command
  $ run-chunks --sample-interval 200ms --fail-on-leak
                                            sample memory 5 times a second; a leaking chunk fails the run

Other commands:
  run-chunks plan [--strict] [--json]        which test lands where: counts, orphans, overlaps, unknown markers
  run-chunks report [DIR] [--open]           the summary of an earlier run, without running anything
  run-chunks history [--history PATH]        per chunk: median and p95 duration and peak, memory regressions
  run-chunks merge DIR... [--report-dir D]   merge report dirs of separate runs (one CI job per chunk)
  run-chunks matrix [--format github|gitlab] the chunk matrix for a CI job per chunk
  run-chunks init --ci github|gitlab         write a CI workflow: a job per chunk and a merging summary job
  Options such as -c, --report-dir and --history may also come before the command: run-chunks -c ci.json plan

Exit codes:
  0    every required chunk passed
  1    tests failed in a required chunk
  2    usage or configuration error, or a report dir that cannot be written (nothing ran)
  3    a required chunk was killed or broke: timeout, memory-limit, gpu-memory-limit, oom, crashed,
       or error; or report.json, junit.xml or report.html could not be written
  130  interrupted (Ctrl-C or SIGTERM); the report holds what finished
`;

function parseParallelChunks(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1 || parsed > MAX_PARALLEL_CHUNKS)
    throw new InvalidArgumentError(`Expected a whole number from 1 to ${MAX_PARALLEL_CHUNKS}.`);
  return parsed;
}

function parseSampleInterval(value: string): number {
  const intervalMs = parseIntervalMs(value);
  if (intervalMs === undefined || intervalMs < MIN_SAMPLE_INTERVAL_MS || intervalMs > MAX_SAMPLE_INTERVAL_MS)
    throw new InvalidArgumentError(`Expected a duration such as "500ms" or "0.2s" (a bare number is milliseconds), from ${MIN_SAMPLE_INTERVAL_MS}ms to 60s.`);
  return intervalMs;
}

// How often CI logs get a progress line per running chunk: often enough to see life, rarely enough to read.
const DEFAULT_PROGRESS_INTERVAL = '30s';
/** DEFAULT_PROGRESS_INTERVAL in milliseconds (--help shows it as written). */
export const DEFAULT_PROGRESS_INTERVAL_MS = parseIntervalMs(DEFAULT_PROGRESS_INTERVAL)!;

function parseProgressInterval(value: string): number {
  const intervalMs = parseIntervalMs(value);
  if (intervalMs === undefined || intervalMs < 100 || intervalMs > MAX_DURATION_MS)
    throw new InvalidArgumentError('Expected a duration such as "30s" or "1m" (at least 100ms).');
  return intervalMs;
}

function parseShard(value: string): ShardSpec {
  const spec = parseShardSpec(value);
  if (!spec) throw new InvalidArgumentError('Expected I/N with 1 <= I <= N, e.g. 2/4.');
  return spec;
}

function parseRetryCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 5) throw new InvalidArgumentError('Expected a whole number from 0 to 5.');
  return Number(value);
}

/** Commander's collector for --chunk: comma-separated names, each one a config could hold. */
export function collectChunkNames(value: string, previous: string[]): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('Expected a chunk name (see --list).');
  // No config can name a chunk so; saying it here keeps odd characters out of later messages.
  const impossible = names.find((name) => !CHUNK_NAME_PATTERN.test(name));
  if (impossible !== undefined)
    throw new InvalidArgumentError(`${quoteText(impossible)} cannot be a chunk name: names use letters, digits, "_", "-" and ".", starting with a letter or digit (see --list).`);
  return [...previous, ...names];
}

// An empty path resolves to the current folder: as --report-dir that would put (and replace) a
// folder per chunk among the project's own files; as --config or --history, read a folder.
function parsePath(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a path, got an empty string.');
  return value;
}

// Checked here rather than after the config is read, so a typo fails before anything else.
function parseMemoryBudget(value: string): string {
  const spec = parseSizeSpec(value);
  const fits = spec !== undefined && (spec.kind === 'percent' || (spec.bytes > 0 && spec.bytes <= MAX_SIZE_BYTES));
  if (!fits) throw new InvalidArgumentError('Expected a size above zero such as "16GB" or "12GiB", or a share of memory above 0% and at most 100% such as "75%".');
  return value;
}

/** Builds the commander program (its help text is the CLI's reference). */
export function createProgram(version: string): Command {
  return new Command('run-chunks')
    .description('Run a test suite as isolated chunks, each in its own process group, and report every outcome.')
    .usage('[options] [-- args passed to every chunk]')
    .version(version, '-V, --version')
    .option('-c, --config <path>', 'config file', parsePath)
    .addOption(new Option('--chunk <names>', 'run only these chunks (repeatable, or comma-separated)').argParser(collectChunkNames).default([], 'every chunk'))
    .addOption(new Option('--list', 'print chunk names and descriptions, then exit').conflicts(['dryRun', 'chunk', 'shard', 'memoryBudget']))
    .option('--dry-run', 'print what each chunk would run (command, cwd, env, workers, timeout); run nothing')
    .option('--no-parallel', 'run every chunk without pytest-xdist workers (workers = 1)')
    .addOption(new Option('--parallel-chunks <n>', 'run up to N chunks at once').argParser(parseParallelChunks).default(1).conflicts('memoryBudget'))
    .option('--shard <i/n>', 'run shard I of N of the selected chunk (tests split by duration history), for one chunk across N CI machines', parseShard)
    .option('--memory-budget <size>', 'run chunks together while their forecast peaks fit this budget ("16GB", "75%"), longest first', parseMemoryBudget)
    .option('--report-dir <dir>', 'where logs, JUnit files and report.json go (a folder of its own: each chunk\'s folder there is replaced)', parsePath, DEFAULT_REPORT_DIR)
    .option('--sample-interval <duration>', 'how often each chunk\'s memory is sampled, e.g. 500ms (overrides the config)', parseSampleInterval)
    .addOption(new Option('--gpu <mode>', 'sample GPU memory with nvidia-smi').choices(['auto', 'on', 'off']).default('auto'))
    .addOption(new Option('--isolation <mode>', 'enforce memoryLimit with run-chunks\' watchdog, or a kernel cgroup limit').choices(['watchdog', 'cgroup']).default('watchdog'))
    .option('--retry-on-oom <n>', 'recovery rounds after an oom or memory-limit kill, or a test whose process died under it (overrides the config; 0 turns it off)', parseRetryCount)
    .addOption(
      new Option('--progress-interval <duration>', 'without a terminal (CI), print each running chunk\'s progress this often')
        .argParser(parseProgressInterval)
        .default(DEFAULT_PROGRESS_INTERVAL_MS, DEFAULT_PROGRESS_INTERVAL),
    )
    .option('--history <path>', 'run history: durations and peaks of the last runs, for forecasts and shards', parsePath, DEFAULT_HISTORY_FILE)
    .option('--fail-on-leak', 'fail the run (exit 1) when a required chunk\'s memory verdict is "leak"')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .addHelpText('after', EXAMPLES);
}

/** Splits off what follows `--`: those arguments belong to the chunks' commands. */
export function splitPassthrough(argv: readonly string[]): { own: string[]; passthrough: string[] } {
  const separator = argv.indexOf('--');
  if (separator < 0) return { own: [...argv], passthrough: [] };
  return { own: argv.slice(0, separator), passthrough: argv.slice(separator + 1) };
}

/**
 * Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one capitalised, full-stopped
 * line. Commander quotes the argument as typed, so control characters in it are escaped.
 */
function toSentence(commanderMessage: string): string {
  const flat = escapeControlCharacters(commanderMessage.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim());
  const capitalised = `${flat.charAt(0).toUpperCase()}${flat.slice(1)}`;
  return /[.?!)]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** A commander parse error as a one-paragraph UserError pointing at the right help; anything else as is. */
export function toUserError(error: unknown, helpCommand: string): unknown {
  if (!(error instanceof CommanderError)) return error;
  return new UserError(`${toSentence(error.message)} Run \`${helpCommand}\` for the options.`);
}

/**
 * Parses run-chunks' arguments (without node and the script path). Help and version are
 * printed by commander and reported as `{ exitCode: 0 }`; mistakes become UserErrors.
 */
export function parseArgs(argv: readonly string[], version: string): CliOptions | { exitCode: number } {
  const { own, passthrough } = splitPassthrough(argv);
  const program = createProgram(version);
  try {
    program.parse(own, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return { exitCode: 0 };
    throw toUserError(error, 'run-chunks --help');
  }
  const options = program.opts<{
    config?: string;
    chunk: string[];
    list?: boolean;
    dryRun?: boolean;
    parallel: boolean;
    parallelChunks: number;
    reportDir: string;
    sampleInterval?: number;
    gpu: 'auto' | 'on' | 'off';
    isolation: 'watchdog' | 'cgroup';
    failOnLeak?: boolean;
    retryOnOom?: number;
    progressInterval: number;
    memoryBudget?: string;
    shard?: ShardSpec;
    history: string;
  }>();
  return {
    config: options.config,
    chunks: options.chunk,
    list: options.list ?? false,
    dryRun: options.dryRun ?? false,
    noParallel: !options.parallel,
    parallelChunks: options.parallelChunks,
    reportDir: options.reportDir,
    passthroughArgs: passthrough,
    sampleIntervalMs: options.sampleInterval,
    gpu: options.gpu,
    isolation: options.isolation,
    failOnLeak: options.failOnLeak ?? false,
    retryOnOom: options.retryOnOom,
    progressIntervalMs: options.progressInterval,
    memoryBudget: options.memoryBudget,
    shard: options.shard,
    historyFile: options.history,
  };
}
