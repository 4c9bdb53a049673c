// The JSON lines the bundled pytest plugin (python/run_chunks_events/) writes, one event per
// line, flushed at once, to `<report-dir>/<chunk>/events.jsonl` (every pytest process of the
// chunk appends to the same file). This is their one declared type; parseTestEvent checks it.

/**
 * How a test ended, in pytest's own taxonomy, the one its summary line counts (setup or teardown
 * failures are 'error'; 'xfailed' failed as expected; 'xpassed' passed though marked xfail, not
 * strict: a strict xpass is 'failed', as pytest counts it).
 */
export type TestOutcome = 'passed' | 'failed' | 'skipped' | 'error' | 'xfailed' | 'xpassed';

interface EventBase {
  /** pid of the pytest process (controller or xdist worker) that wrote the event. */
  pid: number;
  /** xdist worker id ("gw0"), or null outside xdist (and in the xdist controller). */
  worker: string | null;
  /** Wall-clock time, seconds since the epoch (Python's time.time()). */
  t: number;
}

export interface SessionStartEvent extends EventBase {
  event: 'session-start';
  rss: number | null;
}

export interface CollectedEvent extends EventBase {
  event: 'collected';
  /** Tests selected to run in this process's session (after -m/-k deselection). */
  count: number;
}

export interface TestStartEvent extends EventBase {
  event: 'test-start';
  nodeid: string;
  /** RSS of this process when the test started, bytes. */
  rss: number | null;
  /** torch.cuda.memory_allocated() when torch was imported and CUDA available, bytes. */
  gpu: number | null;
}

/**
 * Where and why a failed or errored test failed, from pytest's report of the failed phase (a
 * failed setup or teardown, else the call): the line in the test's own file where it failed (the
 * innermost traceback entry there when the exception came from a library or a helper module),
 * else pytest's crash line under the rootdir. See python/run_chunks_events/reports.py crash_of.
 */
export interface TestCrash {
  /** Relative to the rootdir (as `file` is); null when the crash is outside it. */
  path: string | null;
  /** 1-based; null when unknown. */
  line: number | null;
  /** The exception as pytest's summary shows it ("AssertionError: …" and its explanation), cut to 2,000 characters. */
  message: string;
}

export interface TestEndEvent extends EventBase {
  event: 'test-end';
  nodeid: string;
  outcome: TestOutcome;
  /** Seconds, setup + call + teardown. */
  duration: number;
  rss: number | null;
  gpu: number | null;
  /** One line saying why it failed, errored or was skipped; null when it passed. */
  message: string | null;
  /** pytest's full failure text, cut to a few KB; null when it passed. */
  longrepr: string | null;
  /** Where it failed; null when it did not fail, or pytest had no crash (an older plugin, a strict xpass). */
  crash: TestCrash | null;
  /** Where the test is defined (relative to the rootdir), when pytest knows. */
  file: string | null;
  line: number | null;
  /**
   * This process's exact peak RSS during the test (setup to teardown): VmHWM, reset through
   * /proc/self/clear_refs at its start and read at its end. Null where that is not permitted.
   */
  peak: number | null;
  /** 'hwm' when `peak` was measured so; null when it could not be. */
  peakMethod: 'hwm' | null;
  /** Largest peak RSS of a child process that ended during the test (RUSAGE_CHILDREN): a lower bound; null when none did. */
  childPeak: number | null;
  /** torch.cuda.max_memory_allocated() over the test, when CUDA was initialised by the tests; null otherwise. */
  gpuPeak: number | null;
  /**
   * Where run-chunks gave the chunk a cgroup (RUN_CHUNKS_CGROUP): the peak memory charged to the
   * test process's own cgroup during the test (it and every child it started since it moved in:
   * v1 memory.max_usage_in_bytes, v2 memory.peak, reset at the test's start), and the charge at
   * the start. Null where not measured.
   */
  groupPeak: number | null;
  groupStart: number | null;
  /** The test set up a fixture shared beyond it (session, package, module or class scope). */
  sharedSetup: boolean;
  /** Modules imported during the test (growth of sys.modules). */
  newModules: number;
}

/** Written by the xdist controller when a worker dies under a test. */
export interface WorkerCrashedEvent extends EventBase {
  event: 'worker-crashed';
  /** The worker that died. */
  crashedWorker: string;
  nodeid: string | null;
  message: string;
  /** How the worker process ended, when the controller could read it: its exit code, or the signal's name. */
  exitCode: number | null;
  signal: string | null;
}

/** A collector (a test module, a class) that failed or was skipped while collecting (pytest_collectreport). */
export interface CollectReportEvent extends EventBase {
  event: 'collect-report';
  /** The collector's node id, e.g. "tests/test_broken.py". */
  nodeid: string;
  /** 'failed': it could not be collected (an import error); 'skipped': pytest.skip(allow_module_level=True). */
  outcome: 'failed' | 'skipped';
  /** str(report.longrepr), as pytest's own JUnit file writes it. */
  longrepr: string;
}

export interface SessionFinishEvent extends EventBase {
  event: 'session-finish';
  exitstatus: number;
  /** This process's exact peak RSS over its whole session (VmHWM, kept across the per-test resets); null where unreadable. */
  peak: number | null;
  /** Why this process, given the chunk's cgroup, had no per-test cgroup peak; null when it had one (or was not given one). */
  groupUnavailable: string | null;
}

/** Every event the plugin writes. */
export type TestEvent = SessionStartEvent | CollectedEvent | TestStartEvent | TestEndEvent | WorkerCrashedEvent | CollectReportEvent | SessionFinishEvent;
