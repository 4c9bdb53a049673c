import { formatBytes } from '../config/parse-size.js';
import { emptyCounts, type TestCounts } from './parse-junit.js';
import type { CollectReportEvent, TestEndEvent, TestEvent, TestStartEvent, WorkerCrashedEvent } from './test-events.js';
import { bareRecord, type BlameReason, type BlamedTest, type TestRecord } from './test-records.js';

/** What a person watching a chunk wants to know at a glance. */
export interface TestProgress {
  /** Tests selected to run (null until collection is over). */
  collected: number | null;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Tests that failed as expected (xfail), and that passed though marked xfail (non-strict xpass): pytest counts them apart. */
  xfailed: number;
  xpassed: number;
  /** The tests running right now (one per worker at most), the longest-running first. */
  running: RunningTest[];
}

/** A test that has started and not ended. */
export interface RunningTest {
  nodeid: string;
  /** When it started, by the clock of its pytest process (epoch milliseconds, from its test-start event). */
  startedAtEpochMs: number;
}

/** How a chunk died, for blaming the tests that were running. */
export interface KillContext {
  reason: BlameReason;
  /** The chunk's RSS at its last sample. */
  chunkRssBytes: number | null;
  /** RSS of each of the chunk's processes at the last sample. */
  rssByPid: ReadonlyMap<number, number>;
  /** The kernel OOM-killed a process of the chunk (its own cgroup's counter rose): the kill came from the kernel, not a sample. */
  kernelKill?: boolean;
}

/** How the chunk's process ended when nobody killed it: tests still running then ran under an exit. */
export interface ProcessExit {
  exitCode: number | null;
}

const MS_PER_SECOND = 1000;

/** A test's peak: exact from its process's VmHWM, else the larger of its RSS at start and end (a lower bound). */
function peakOf(event: TestEndEvent, rssStart: number | null): Pick<TestRecord, 'peakRssBytes' | 'peakRssSource'> {
  if (event.peakMethod === 'hwm' && event.peak !== null) return { peakRssBytes: event.peak, peakRssSource: 'hwm' };
  const known = [rssStart, event.rss].filter((value): value is number => value !== null);
  return known.length === 0 ? { peakRssBytes: null, peakRssSource: null } : { peakRssBytes: Math.max(...known), peakRssSource: 'start-end' };
}
const MIB = 1024 * 1024;
/**
 * Growth of a test's own process that counts as evidence against it when several tests ran at a
 * kill for memory. A test's imports and caches are a few MiB (a neighbour was seen at -200 KiB);
 * a chunk is stopped over hundreds of MiB.
 */
export const BLAME_MIN_GROWTH_BYTES = 32 * MIB;
const MEMORY_REASONS: readonly BlameReason[] = ['oom', 'memory-limit'];
/** The messages pytest's --junitxml gives a module that failed to collect, and one that skipped itself. */
export const COLLECTION_FAILURE_MESSAGE = 'collection failure';
export const COLLECTION_SKIPPED_MESSAGE = 'collection skipped';

/** A process's growth in words, with its sign. */
function describeGrowth(growthBytes: number | null): string {
  if (growthBytes === null) return 'an unknown amount';
  return growthBytes < 0 ? `-${formatBytes(-growthBytes)}` : formatBytes(growthBytes);
}

/** The death of an xdist worker in words: by which signal, or with which exit code. */
function describeWorkerDeath(crash: WorkerCrashedEvent): { reason: 'signal' | 'exit' | 'unknown'; text: string } {
  if (crash.signal !== null) return { reason: 'signal', text: `its xdist worker ${crash.crashedWorker} was killed by ${crash.signal} while this test ran` };
  if (crash.exitCode !== null)
    return { reason: 'exit', text: `the process exited with code ${crash.exitCode} while this test ran: os._exit or the like (xdist worker ${crash.crashedWorker})` };
  return { reason: 'unknown', text: `its xdist worker ${crash.crashedWorker} died while this test ran` };
}

/**
 * Builds a chunk's per-test results from the plugin's events as they arrive: what ran, how it
 * ended, and what was running at any moment. It survives any kill, because every event is on
 * disk the moment it happens; what was running when the chunk died is known too.
 */
export class ChunkTestState {
  private collectedCount: number | null = null;
  private readonly running = new Map<number, TestStartEvent>();
  private readonly records: TestRecord[] = [];
  private readonly crashes: WorkerCrashedEvent[] = [];
  /** Collectors already recorded: every xdist worker (and the controller) reports the same one. */
  private readonly collectorIds = new Set<string>();
  /** pytest processes whose session ended (session-finish), with their exit status. */
  private readonly sessionExits = new Map<number, number>();
  /** pytest processes whose session started, and the whole-session peak each reported at its end. */
  private readonly sessionStarts = new Set<number>();
  private readonly sessionPeaks = new Map<number, number | null>();
  /** Why pytest processes had no per-test cgroup peak, from their session-finish (distinct). */
  private readonly groupUnavailable = new Set<string>();
  /** When each pytest process began its first test (epoch seconds). */
  private readonly firstStarts = new Map<number, number>();
  /** xdist workers run-chunks stopped for memory (see stopWorkerFor), with the evidence, by worker id. */
  private readonly stoppedWorkers = new Map<string, { evidence: string; growthBytes: number; chunkRssBytes: number }>();

  constructor(private readonly attempt = 1) {}

  /** Takes one event; returns true when it changed what progress shows. */
  apply(event: TestEvent): boolean {
    switch (event.event) {
      case 'collected':
        // Each xdist worker collects the whole selection: the count is the same everywhere.
        this.collectedCount = Math.max(this.collectedCount ?? 0, event.count);
        return true;
      case 'test-start':
        this.running.set(event.pid, event);
        if (!this.firstStarts.has(event.pid)) this.firstStarts.set(event.pid, event.t);
        return true;
      case 'test-end': {
        const started = this.running.get(event.pid);
        this.running.delete(event.pid);
        this.records.push({
          nodeid: event.nodeid,
          outcome: event.outcome,
          durationMs: Math.round(event.duration * MS_PER_SECOND),
          worker: event.worker,
          pid: event.pid,
          message: event.message,
          longrepr: event.longrepr,
          crash: event.crash,
          file: event.file,
          line: event.line,
          rssStartBytes: started?.nodeid === event.nodeid ? started.rss : null,
          rssEndBytes: event.rss,
          gpuStartBytes: started?.nodeid === event.nodeid ? started.gpu : null,
          gpuEndBytes: event.gpu,
          ...peakOf(event, started?.nodeid === event.nodeid ? started.rss : null),
          childPeakRssBytes: event.childPeak,
          groupPeakRiseBytes: event.groupPeak !== null && event.groupStart !== null ? Math.max(0, event.groupPeak - event.groupStart) : null,
          gpuPeakBytes: event.gpuPeak,
          gpuPeakSource: event.gpuPeak === null ? null : 'torch',
          startedAtS: started?.nodeid === event.nodeid ? started.t : null,
          endedAtS: event.t,
          oneTimeSetup: event.sharedSetup || event.newModules > 0,
          attempt: this.attempt,
        });
        return true;
      }
      case 'worker-crashed':
        this.crashes.push(event);
        for (const [pid, started] of this.running) if (started.worker === event.crashedWorker) this.running.delete(pid);
        return true;
      case 'collect-report':
        return this.addCollectorRecord(event);
      case 'session-start':
        this.sessionStarts.add(event.pid);
        return false;
      case 'session-finish':
        this.sessionExits.set(event.pid, event.exitstatus);
        this.sessionPeaks.set(event.pid, event.peak);
        if (event.groupUnavailable !== null) this.groupUnavailable.add(event.groupUnavailable);
        return false;
      default:
        return false;
    }
  }

  /**
   * When the last of the chunk's pytest processes began its first test (epoch seconds): before
   * it, some process was still starting up or collecting. Null when no test started.
   */
  testsStartedAtS(): number | null {
    return this.firstStarts.size === 0 ? null : Math.max(...this.firstStarts.values());
  }

  /**
   * The sum of every pytest process's own whole-session peak (VmHWM): an upper bound of their
   * combined peak. Null unless every process that started a session reported its peak at its end
   * (one killed, or without VmHWM, leaves its peak unknown).
   */
  pytestPeakSum(): { bytes: number; processes: number } | null {
    if (this.sessionStarts.size === 0) return null;
    let bytes = 0;
    for (const pid of this.sessionStarts) {
      const peak = this.sessionPeaks.get(pid);
      if (peak === undefined || peak === null) return null;
      bytes += peak;
    }
    return { bytes, processes: this.sessionStarts.size };
  }

  /** Why some pytest process, given the chunk's cgroup, measured no test in a cgroup of its own (distinct reasons). */
  groupPeakUnavailable(): string[] {
    return [...this.groupUnavailable];
  }

  /** The chunk's progress now. */
  progress(): TestProgress {
    const counts = countRecords(this.records);
    return {
      collected: this.collectedCount,
      // Modules that failed to collect or skipped themselves are not among the collected tests.
      done: this.records.length - this.collectorIds.size + this.crashes.length,
      passed: counts.passed,
      failed: counts.failed + counts.errors,
      skipped: counts.skipped,
      xfailed: counts.xfailed,
      xpassed: counts.xpassed,
      running: [...this.running.values()].map((event) => ({ nodeid: event.nodeid, startedAtEpochMs: event.t * MS_PER_SECOND })).sort((a, b) => a.startedAtEpochMs - b.startedAtEpochMs),
    };
  }

  /** Tests that completed (whatever their outcome), in the order they ended. */
  completed(): readonly TestRecord[] {
    return this.records;
  }

  /** Whether the plugin said anything at all (it may not have loaded). */
  hasEvents(): boolean {
    return this.collectedCount !== null || this.records.length > 0 || this.running.size > 0 || this.collectorIds.size > 0;
  }

  /**
   * Final records once the chunk is over: completed tests, crashed xdist tests, and the tests
   * still running at the end, marked killed (the chunk was killed) or crashed (their process
   * exited under them). Returns the tests to blame too, each with its evidence: a test whose
   * xdist worker died or whose process exited under it; at a kill for memory, those whose own
   * process grew past BLAME_MIN_GROWTH_BYTES, or the only test running when its process was
   * SIGKILLed or when its growth is unknown (the others are recorded as stopped with the chunk and
   * run again, not blamed); at any other kill, every test running.
   */
  finish(kill: KillContext | undefined, crashReason: BlameReason, exit: ProcessExit = { exitCode: null }): { records: TestRecord[]; blamed: BlamedTest[]; diedUnder: string[] } {
    const records = [...this.records];
    const blamed: BlamedTest[] = [];
    for (const crash of this.crashes) {
      const death = describeWorkerDeath(crash);
      if (crash.nodeid === null) {
        // A worker that died between tests: no test to blame, but the chunk lost a worker.
        records.push(this.syntheticRecord(`(unknown test on ${crash.crashedWorker})`, 'crashed', crash.crashedWorker, null, crash.message));
        continue;
      }
      const stopped = this.stoppedWorkers.get(crash.crashedWorker);
      if (stopped !== undefined) {
        // run-chunks' own SIGKILL: the chunk went on without this worker; the test runs again alone.
        records.push(this.syntheticRecord(crash.nodeid, 'crashed', crash.crashedWorker, null, `stopped by run-chunks: ${stopped.evidence}`));
        blamed.push({ nodeid: crash.nodeid, reason: 'memory-limit', evidence: stopped.evidence, worker: crash.crashedWorker, chunkRssBytes: stopped.chunkRssBytes, rssGrowthBytes: stopped.growthBytes, verdict: null });
        continue;
      }
      records.push(this.syntheticRecord(crash.nodeid, 'crashed', crash.crashedWorker, null, `${death.text}; ${crash.message}`));
      blamed.push({
        nodeid: crash.nodeid,
        reason: death.reason === 'exit' ? 'exited' : crashReason,
        evidence: death.text,
        worker: crash.crashedWorker,
        chunkRssBytes: kill?.chunkRssBytes ?? null,
        rssGrowthBytes: null,
        verdict: null,
      });
    }
    if (kill) this.blameRunningAtKill(kill, records, blamed);
    else this.blameRunningAtExit(exit, records, blamed);
    // The tests whose own process died or exited under them (not those stopped with the whole chunk).
    const diedUnder = [...this.crashes.flatMap((crash) => (crash.nodeid === null ? [] : [crash.nodeid])), ...blamed.filter((test) => test.reason === 'exited').map((test) => test.nodeid)];
    return { records, blamed, diedUnder: [...new Set(diedUnder)] };
  }

  /**
   * The xdist worker to stop when the chunk crossed its memoryLimit (`"dist": "memory"`): the one
   * whose running test's process grew the most since the test started, by at least
   * BLAME_MIN_GROWTH_BYTES (less is no evidence against it); undefined when none did, or only the
   * pytest process itself runs tests. `rssByPid` is each process's RSS at the sample over the limit.
   */
  workerToStop(rssByPid: ReadonlyMap<number, number>): { pid: number; worker: string; nodeid: string; growthBytes: number } | undefined {
    let best: { pid: number; worker: string; nodeid: string; growthBytes: number } | undefined;
    for (const started of this.running.values()) {
      const rss = rssByPid.get(started.pid);
      if (started.worker === null || rss === undefined || started.rss === null || this.stoppedWorkers.has(started.worker)) continue;
      const growthBytes = rss - started.rss;
      if (growthBytes >= BLAME_MIN_GROWTH_BYTES && (best === undefined || growthBytes > best.growthBytes)) best = { pid: started.pid, worker: started.worker, nodeid: started.nodeid, growthBytes };
    }
    return best;
  }

  /** Records that run-chunks stopped `worker` for memory: its crash is then blamed as a memory-limit stop, with `evidence`. */
  noteWorkerStopped(worker: string, stop: { evidence: string; growthBytes: number; chunkRssBytes: number }): void {
    this.stoppedWorkers.set(worker, stop);
  }

  private blameRunningAtKill(kill: KillContext, records: TestRecord[], blamed: BlamedTest[]): void {
    const running = [...this.running.values()].map((started) => {
      const processRss = kill.rssByPid.get(started.pid);
      const growth = processRss !== undefined && started.rss !== null ? processRss - started.rss : null;
      return { started, growth };
    });
    running.sort((a, b) => (b.growth ?? -Infinity) - (a.growth ?? -Infinity));
    const forMemory = MEMORY_REASONS.includes(kill.reason);
    const only = running.length === 1;
    for (const { started, growth } of running) {
      const grewEnough = growth !== null && growth >= BLAME_MIN_GROWTH_BYTES;
      const where = started.worker === null ? '' : ` on ${started.worker}`;
      const record = { ...this.syntheticRecord(started.nodeid, 'killed', started.worker, started.pid, `running when the chunk was stopped (${kill.reason})`), rssStartBytes: started.rss, gpuStartBytes: started.gpu };
      let evidence: string | undefined;
      if (!forMemory) evidence = only ? `the only test running when the chunk was stopped (${kill.reason})` : `running${where} when the chunk was stopped (${kill.reason}), one of ${running.length} tests running`;
      else if (grewEnough && only) evidence = `the only test running when the chunk was stopped (${kill.reason}); its process grew ${describeGrowth(growth)} during it`;
      else if (grewEnough) evidence = `its process grew ${describeGrowth(growth)} during it, over the ${formatBytes(BLAME_MIN_GROWTH_BYTES)} that count as evidence, while ${running.length} tests ran`;
      // A SIGKILL of the one process running tests hit this test's process; with no growth figure, nothing clears it.
      else if (only && kill.reason === 'oom') evidence = `the only test running when its process was SIGKILLed; its process grew ${describeGrowth(growth)} during it`;
      // The kernel killed at the chunk's cgroup limit (--isolation cgroup): faster than any sample can see the growth.
      else if (only && kill.kernelKill) evidence = `the only test running when the kernel OOM-killed its process at the chunk's cgroup limit; its process grew ${describeGrowth(growth)} by the last sample`;
      else if (only && growth === null) evidence = `the only test running when the chunk was stopped (${kill.reason}); its process's growth is unknown`;
      if (evidence === undefined) {
        // Someone else used the memory (another worker, or a test that ended before): stopped with the chunk, run again, not blamed.
        records.push({ ...record, message: `stopped with the chunk (${kill.reason}) while it ran${where}; not blamed: its process grew ${describeGrowth(growth)}` });
        continue;
      }
      records.push(record);
      blamed.push({ nodeid: started.nodeid, reason: kill.reason, evidence, worker: started.worker, chunkRssBytes: kill.chunkRssBytes, rssGrowthBytes: growth, verdict: null });
    }
  }

  /** Tests still running when a process ended on its own: os._exit (or pytest.exit, KeyboardInterrupt) under them. */
  private blameRunningAtExit(exit: ProcessExit, records: TestRecord[], blamed: BlamedTest[]): void {
    for (const started of this.running.values()) {
      const status = this.sessionExits.get(started.pid);
      const code = started.worker === null && exit.exitCode !== null ? String(exit.exitCode) : 'unknown';
      const interrupted = status !== undefined;
      const text = interrupted
        ? `pytest's session ended (exit status ${status}) while this test ran: KeyboardInterrupt, pytest.exit or the like`
        : `the process exited with code ${code} while this test ran: os._exit or the like`;
      records.push({ ...this.syntheticRecord(started.nodeid, 'crashed', started.worker, started.pid, text), rssStartBytes: started.rss, gpuStartBytes: started.gpu });
      blamed.push({ nodeid: started.nodeid, reason: interrupted ? 'interrupted' : 'exited', evidence: text, worker: started.worker, chunkRssBytes: null, rssGrowthBytes: null, verdict: null });
    }
  }

  /** A module that failed to collect (an error, as pytest's JUnit counts it) or skipped itself. */
  private addCollectorRecord(event: CollectReportEvent): boolean {
    if (this.collectorIds.has(event.nodeid)) return false;
    this.collectorIds.add(event.nodeid);
    // pytest's --junitxml writes these messages, with str(longrepr) as the text.
    const failed = event.outcome === 'failed';
    const record = bareRecord(event.nodeid, failed ? 'error' : 'skipped', failed ? COLLECTION_FAILURE_MESSAGE : COLLECTION_SKIPPED_MESSAGE, this.attempt);
    this.records.push({ ...record, longrepr: event.longrepr, file: event.nodeid.split('::')[0] ?? null, pid: event.pid, worker: event.worker });
    return true;
  }

  private syntheticRecord(nodeid: string, outcome: TestRecord['outcome'], worker: string | null, pid: number | null, message: string): TestRecord {
    return { ...bareRecord(nodeid, outcome, message, this.attempt), worker, pid };
  }
}

/** Which count each outcome adds to: pytest's own outcomes each to theirs; killed and crashed tests are errors; not-run ones are counted apart. */
const COUNT_OF_RECORD: Record<TestRecord['outcome'], Exclude<keyof TestCounts, 'total'> | null> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  error: 'errors',
  xfailed: 'xfailed',
  xpassed: 'xpassed',
  killed: 'errors',
  crashed: 'errors',
  'not-run': null,
};

/** Counts outcomes the way the report does, in pytest's taxonomy (see COUNT_OF_RECORD). */
export function countRecords(records: readonly TestRecord[]): TestCounts {
  const counts = emptyCounts();
  for (const record of records) {
    const counted = COUNT_OF_RECORD[record.outcome];
    if (counted === null) continue;
    counts.total += 1;
    counts[counted] += 1;
  }
  return counts;
}
