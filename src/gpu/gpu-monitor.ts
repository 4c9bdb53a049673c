import { startGpuSession, type GpuSession, type SessionFailure } from './gpu-session.js';
import type { GpuDeviceReading, GpuProcessReading } from './nvidia-smi-csv.js';

/** Where an executable is on PATH (re-exported: callers decide with it whether to sample GPUs). */
export { findOnPath } from './find-on-path.js';

/** Everything one sampling tick saw: a round of GPU rows and the compute processes at that time. */
export interface GpuSnapshot {
  /** Date.now() when the tick completed. */
  takenAtMs: number;
  devices: GpuDeviceReading[];
  processes: GpuProcessReading[];
}

/** How to sample: which nvidia-smi, how often, and where to say what went wrong. */
export interface GpuMonitorOptions {
  /** Program name (looked up on the PATH of `env`) or path of nvidia-smi. */
  nvidiaSmi: string;
  intervalMs: number;
  /** Restarts and the final "off" are said here, each once. */
  onNotice: (level: 'info' | 'warning', message: string) => void;
  /** Environment for nvidia-smi; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** No complete tick for this long means nvidia-smi hung; default max(3 × intervalMs, 5000). */
  stallTimeoutMs?: number;
}

/** GPU sampling in the background. */
export interface GpuMonitor {
  /** The newest snapshot; undefined before the first tick and once sampling is off (stale data must not be trusted). */
  latest(): GpuSnapshot | undefined;
  /** 'starting' until a tick completes (again after a restart), 'off' after giving up or stop(). */
  readonly state: 'starting' | 'running' | 'off';
  /** Why sampling gave up, once it has (stop() is not a reason); undefined while it works. */
  readonly offReason: string | undefined;
  /** Stops every nvidia-smi and timer; resolves once no nvidia-smi process is left. */
  stop(): Promise<void>;
}

// nvidia-smi gets one second chance: a hang or crash can be a passing driver hiccup, but a
// second failure of any kind means sampling would only keep failing (and keep costing).
const MAX_ATTEMPTS = 2;

// Below this a stall cannot be told from a slow nvidia-smi start (NVML initialisation without
// persistence mode takes seconds on some machines).
const MIN_DEFAULT_STALL_TIMEOUT_MS = 5_000;

/**
 * Starts sampling GPUs with nvidia-smi every `intervalMs`. Never throws: every problem ends as
 * state 'off' with one warning ("GPU sampling is off: …"), after at most one restart.
 */
export function startGpuMonitor(options: GpuMonitorOptions): GpuMonitor {
  const stallTimeoutMs = options.stallTimeoutMs ?? Math.max(3 * options.intervalMs, MIN_DEFAULT_STALL_TIMEOUT_MS);
  const env = options.env ?? process.env;
  let state: GpuMonitor['state'] = 'starting';
  let latest: GpuSnapshot | undefined;
  let attempts = 0;
  let current: GpuSession | undefined;
  let stopped = false;
  let offReason: string | undefined;
  // Sessions whose nvidia-smi processes may still be running (stop() waits for all of them).
  const unfinished = new Set<GpuSession>();

  // A notice that cannot be shown must not stop sampling, nor keep a failed nvidia-smi running.
  const say = (level: 'info' | 'warning', message: string): void => {
    try {
      options.onNotice(level, message);
    } catch {
      // The reporter's own problem; sampling goes on.
    }
  };

  const retire = async (session: GpuSession): Promise<void> => {
    await session.stop();
    unfinished.delete(session);
  };

  const handleFailure = async (session: GpuSession, failure: SessionFailure): Promise<void> => {
    if (stopped || session !== current) return;
    if (failure.permanent || attempts >= MAX_ATTEMPTS) {
      state = 'off';
      latest = undefined;
      current = undefined;
      offReason = failure.reason;
      say('warning', `GPU sampling is off: ${failure.reason}`);
      await retire(session);
      return;
    }
    state = 'starting';
    say('info', `GPU sampling: ${failure.reason}; restarting nvidia-smi`);
    await retire(session);
    if (!stopped) begin();
  };

  function begin(): void {
    attempts += 1;
    // The callbacks run only after spawn events, never before `session` is assigned.
    const session = startGpuSession({
      nvidiaSmi: options.nvidiaSmi,
      intervalMs: options.intervalMs,
      stallTimeoutMs,
      env,
      onSnapshot(snapshot) {
        if (stopped || session !== current) return;
        latest = snapshot;
        state = 'running';
      },
      onFailure: (failure) => void handleFailure(session, failure),
    });
    current = session;
    unfinished.add(session);
  }

  begin();

  return {
    latest: () => latest,
    get state() {
      return state;
    },
    get offReason() {
      return offReason;
    },
    async stop() {
      stopped = true;
      state = 'off';
      latest = undefined;
      current = undefined;
      await Promise.all([...unfinished].map(retire));
    },
  };
}
