import type { TestCounts } from './parse-junit.js';
import type { TestEvent, TestStartEvent, WorkerCrashedEvent } from './test-events.js';
import { bareRecord, type BlamedTest, type TestRecord } from './test-records.js';

/** What a person watching a chunk wants to know at a glance. */
export interface TestProgress {
  /** Tests selected to run (null until collection is over). */
  collected: number | null;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
  /** The tests running right now (one per worker at most). */
  running: string[];
}

/** How a chunk died, for blaming the tests that were running. */
export interface KillContext {
  reason: BlamedTest['reason'];
  /** The chunk's RSS at its last sample. */
  chunkRssBytes: number | null;
  /** RSS of each of the chunk's processes at the last sample. */
  rssByPid: ReadonlyMap<number, number>;
}

const MS_PER_SECOND = 1000;

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
          file: event.file,
          line: event.line,
          rssStartBytes: started?.nodeid === event.nodeid ? started.rss : null,
          rssEndBytes: event.rss,
          gpuStartBytes: started?.nodeid === event.nodeid ? started.gpu : null,
          gpuEndBytes: event.gpu,
          attempt: this.attempt,
        });
        return true;
      }
      case 'worker-crashed':
        this.crashes.push(event);
        for (const [pid, started] of this.running) if (started.worker === event.crashedWorker) this.running.delete(pid);
        return true;
      default:
        return false;
    }
  }

  /** The chunk's progress now. */
  progress(): TestProgress {
    const counts = countRecords(this.records);
    return {
      collected: this.collectedCount,
      done: this.records.length + this.crashes.length,
      passed: counts.passed,
      failed: counts.failed + counts.errors,
      skipped: counts.skipped,
      running: [...this.running.values()].map((event) => event.nodeid),
    };
  }

  /** Tests that completed (whatever their outcome), in the order they ended. */
  completed(): readonly TestRecord[] {
    return this.records;
  }

  /** Whether the plugin said anything at all (it may not have loaded). */
  hasEvents(): boolean {
    return this.collectedCount !== null || this.records.length > 0 || this.running.size > 0;
  }

  /**
   * Final records once the chunk is over: completed tests, crashed xdist tests, and (when the
   * chunk was killed) the tests still running, marked killed. Returns the tests to blame too:
   * those running at the kill, the one whose process grew most first, and crashed xdist tests.
   */
  finish(kill: KillContext | undefined, crashReason: BlamedTest['reason']): { records: TestRecord[]; blamed: BlamedTest[] } {
    const records = [...this.records];
    const blamed: BlamedTest[] = [];
    for (const crash of this.crashes) {
      const nodeid = crash.nodeid ?? `(unknown test on ${crash.crashedWorker})`;
      records.push(this.syntheticRecord(nodeid, 'crashed', crash.crashedWorker, null, crash.message));
      blamed.push({
        nodeid,
        reason: crashReason,
        worker: crash.crashedWorker,
        chunkRssBytes: kill?.chunkRssBytes ?? null,
        rssGrowthBytes: null,
        verdict: null,
      });
    }
    if (kill) {
      const running = [...this.running.values()].map((started) => {
        const processRss = kill.rssByPid.get(started.pid);
        const growth = processRss !== undefined && started.rss !== null ? processRss - started.rss : null;
        return { started, growth };
      });
      running.sort((a, b) => (b.growth ?? -Infinity) - (a.growth ?? -Infinity));
      for (const { started, growth } of running) {
        const message = `running when the chunk was stopped (${kill.reason})`;
        const record = this.syntheticRecord(started.nodeid, 'killed', started.worker, started.pid, message);
        records.push({ ...record, rssStartBytes: started.rss, gpuStartBytes: started.gpu });
        blamed.push({
          nodeid: started.nodeid,
          reason: kill.reason,
          worker: started.worker,
          chunkRssBytes: kill.chunkRssBytes,
          rssGrowthBytes: growth,
          verdict: null,
        });
      }
    }
    return { records, blamed };
  }

  private syntheticRecord(nodeid: string, outcome: TestRecord['outcome'], worker: string | null, pid: number | null, message: string): TestRecord {
    return { ...bareRecord(nodeid, outcome, message, this.attempt), worker, pid };
  }
}

/** Counts outcomes the way the report does: killed and crashed tests are errors; not-run ones are counted apart. */
export function countRecords(records: readonly TestRecord[]): TestCounts {
  const counts: TestCounts = { total: 0, passed: 0, failed: 0, skipped: 0, errors: 0 };
  for (const record of records) {
    if (record.outcome === 'not-run') continue;
    counts.total += 1;
    if (record.outcome === 'passed') counts.passed += 1;
    else if (record.outcome === 'failed') counts.failed += 1;
    else if (record.outcome === 'skipped') counts.skipped += 1;
    else counts.errors += 1;
  }
  return counts;
}
