import type { TestCrash, TestOutcome } from './test-events.js';

/** How one test ended, from run-chunks' point of view. */
export type TestRecordOutcome =
  | TestOutcome
  /** Running when run-chunks or the kernel killed the chunk. */
  | 'killed'
  /** Running in an xdist worker that died, or in a pytest process that exited under it (os._exit). */
  | 'crashed'
  /** Collected, never started: the chunk died first. */
  | 'not-run';

/** Outcomes that leave a chunk green, as pytest's exit code sees them: passed, skipped, xfailed, and a non-strict xpassed. */
export const PASSING_OUTCOMES: readonly TestRecordOutcome[] = ['passed', 'skipped', 'xfailed', 'xpassed'];

/** Whether a test that ended so counts as passing (see PASSING_OUTCOMES); false for undefined (no result). */
export function isPassingOutcome(outcome: TestRecordOutcome | undefined): boolean {
  return outcome !== undefined && PASSING_OUTCOMES.includes(outcome);
}

/**
 * How a test's peak RSS is known: 'hwm', exactly, from the kernel's high-water mark of its
 * process (VmHWM reset at the test's start); 'start-end', only as the larger of the RSS at its
 * start and end where the reset was not permitted: a lower bound, blind to what the test freed.
 */
export type PeakSource = 'hwm' | 'start-end';

/** One test's result, kept by run-chunks from the plugin's event stream. */
export interface TestRecord {
  nodeid: string;
  outcome: TestRecordOutcome;
  durationMs: number | null;
  worker: string | null;
  pid: number | null;
  message: string | null;
  longrepr: string | null;
  /**
   * Where the test failed, from the plugin's test-end. Optional: records read back from JUnit
   * (a command chunk's, a merged shard's) and those of tests that never ended have none.
   */
  crash?: TestCrash | null;
  /** Where the test is defined (relative to the rootdir). */
  file: string | null;
  line: number | null;
  /** RSS of the test's own process at its start and end (bytes). */
  rssStartBytes: number | null;
  rssEndBytes: number | null;
  gpuStartBytes: number | null;
  gpuEndBytes: number | null;
  /** The test's peak RSS in its own process (setup to teardown), and how it is known (see PeakSource). */
  peakRssBytes: number | null;
  peakRssSource: PeakSource | null;
  /** Largest peak of a child process that ended and was waited for during the test (RUSAGE_CHILDREN): a lower bound of its children's needs. */
  childPeakRssBytes: number | null;
  /**
   * How far the test's process and its children together rose, at their highest, above what
   * they held at its start: the kernel's peak of the memory charged to the process's own cgroup
   * (page cache they touched included), where the chunk had a cgroup. Null where not measured.
   */
  groupPeakRiseBytes: number | null;
  /**
   * The test's GPU peak: 'torch', exact, torch's CUDA allocation peak over the test
   * (max_memory_allocated) when the tests initialised CUDA; else 'nvidia-smi', the highest
   * sampled used_memory of its process during the test (context included; a lower bound).
   */
  gpuPeakBytes: number | null;
  gpuPeakSource: 'torch' | 'nvidia-smi' | null;
  /** When the test started and ended (epoch seconds, from its events); null when unknown. */
  startedAtS: number | null;
  endedAtS: number | null;
  /** Whether the test set up a fixture shared beyond it, or imported modules: one-time growth, not a leak. Null when unknown. */
  oneTimeSetup: boolean | null;
  /** 1 for the chunk's first run, 2+ for recovery attempts after an OOM. */
  attempt: number;
}

/** A record with nothing measured: for tests that never ended on their own (killed, crashed, never run). */
export function bareRecord(nodeid: string, outcome: TestRecordOutcome, message: string, attempt: number): TestRecord {
  return {
    nodeid,
    outcome,
    durationMs: null,
    worker: null,
    pid: null,
    message,
    longrepr: null,
    file: null,
    line: null,
    rssStartBytes: null,
    rssEndBytes: null,
    gpuStartBytes: null,
    gpuEndBytes: null,
    peakRssBytes: null,
    peakRssSource: null,
    childPeakRssBytes: null,
    groupPeakRiseBytes: null,
    gpuPeakBytes: null,
    gpuPeakSource: null,
    startedAtS: null,
    endedAtS: null,
    oneTimeSetup: null,
    attempt,
  };
}

/**
 * What a blamed test did when recovery ran it alone, in its own process: killed again
 * ('oom-deterministic'), passed ('oom-flaky': cleared of the blame), or one of the ways it did not
 * pass: failed or errored, crashed (another signal, say SIGSEGV), exited under itself (os._exit),
 * hung into the chunk's timeout, was interrupted (Ctrl-C of run-chunks, or KeyboardInterrupt), was
 * skipped, or could not be selected again (a new collection did not produce its node id).
 */
export type RecoveryVerdict =
  | 'oom-deterministic'
  | 'oom-flaky'
  | 'failed-alone'
  | 'crashed-alone'
  | 'exited-alone'
  | 'timeout-alone'
  | 'interrupted-alone'
  | 'skipped-alone'
  | 'not-selected';

/** Why a chunk (or the process running a test) died while this test ran. */
export type BlameReason = 'oom' | 'killed' | 'memory-limit' | 'gpu-memory-limit' | 'timeout' | 'crashed' | 'interrupted' | 'exited';

/** A test to blame for a chunk's death: only with evidence (see `evidence`). */
export interface BlamedTest {
  nodeid: string;
  /** Why the chunk, or the process running this test, died while it ran. */
  reason: BlameReason;
  /** What points at this test, in words: its process's growth, or the process that died under it. */
  evidence: string;
  worker: string | null;
  /** The chunk's whole RSS at its last sample before the end. */
  chunkRssBytes: number | null;
  /** How much the test's own process grew since the test started, when known. */
  rssGrowthBytes: number | null;
  /** What it did when a recovery attempt ran it alone; null when it was not run alone. */
  verdict: RecoveryVerdict | null;
}

/** A test among those whose memory grew most. */
export interface TopRetainedTest {
  nodeid: string;
  rssDeltaBytes: number;
  rssEndBytes: number | null;
  gpuDeltaBytes: number | null;
  worker: string | null;
}

/** A test among those that needed the most memory at once. */
export interface TopPeakTest {
  nodeid: string;
  /** Its process's peak RSS during the test, and how that is known. */
  peakRssBytes: number;
  peakRssSource: PeakSource;
  /** How far its process rose above its RSS at the test's start; null when that is unknown. */
  peakRiseBytes: number | null;
  /** What it kept (RSS at its end minus at its start); null when either is unknown. */
  rssDeltaBytes: number | null;
  childPeakRssBytes: number | null;
  /** See TestRecord.groupPeakRiseBytes. */
  groupPeakRiseBytes: number | null;
  gpuPeakBytes: number | null;
  gpuPeakSource: 'torch' | 'nvidia-smi' | null;
  durationMs: number | null;
  worker: string | null;
}

/**
 * The tests whose process reached the highest RSS while they ran, highest first: the ones that
 * need the memory (a test that allocates 800 MB and frees it is here, and not among the retained).
 * Each test once, at its highest attempt.
 */
export function rankPeakTests(records: readonly TestRecord[], limit = TOP_MEMORY_TESTS): TopPeakTest[] {
  const best = new Map<string, TestRecord>();
  for (const record of records) {
    if (record.peakRssBytes === null || record.peakRssSource === null) continue;
    const seen = best.get(record.nodeid);
    if (!seen || record.peakRssBytes > seen.peakRssBytes!) best.set(record.nodeid, record);
  }
  return [...best.values()]
    .sort((a, b) => b.peakRssBytes! - a.peakRssBytes!)
    .slice(0, limit)
    .map((record) => ({
      nodeid: record.nodeid,
      peakRssBytes: record.peakRssBytes!,
      peakRssSource: record.peakRssSource!,
      peakRiseBytes: record.rssStartBytes === null ? null : Math.max(0, record.peakRssBytes! - record.rssStartBytes),
      rssDeltaBytes: record.rssStartBytes !== null && record.rssEndBytes !== null ? record.rssEndBytes - record.rssStartBytes : null,
      childPeakRssBytes: record.childPeakRssBytes,
      groupPeakRiseBytes: record.groupPeakRiseBytes,
      gpuPeakBytes: record.gpuPeakBytes,
      gpuPeakSource: record.gpuPeakSource,
      durationMs: record.durationMs,
      worker: record.worker,
    }));
}

/** How many tests to list in topPeakTests and topRetainedTests. */
export const TOP_MEMORY_TESTS = 10;

/**
 * The tests whose process grew most across them, largest first (only growth counts). A test
 * that keeps 100 MB shows +100 MB; one that allocates and frees it shows about nothing, so the
 * leaker is named, not the test that happened to run next.
 */
export function rankRetainedTests(records: readonly TestRecord[], limit = TOP_MEMORY_TESTS): TopRetainedTest[] {
  return records
    .filter((record) => record.rssStartBytes !== null && record.rssEndBytes !== null && record.rssEndBytes > record.rssStartBytes)
    .map((record) => ({
      nodeid: record.nodeid,
      rssDeltaBytes: record.rssEndBytes! - record.rssStartBytes!,
      rssEndBytes: record.rssEndBytes,
      gpuDeltaBytes: record.gpuStartBytes !== null && record.gpuEndBytes !== null ? record.gpuEndBytes - record.gpuStartBytes : null,
      worker: record.worker,
    }))
    .sort((a, b) => b.rssDeltaBytes - a.rssDeltaBytes)
    .slice(0, limit);
}
