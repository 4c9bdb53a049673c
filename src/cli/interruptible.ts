import { watchSignals } from './signal-watcher.js';

/**
 * Runs `work` (collections before the run starts) with SIGINT, SIGTERM and SIGHUP turned into an
 * abort of the signal it is given, whose reason is the signal's name: what it started stops with
 * its process group, and the caller exits 130 instead of dying with children left behind.
 */
export async function runInterruptibly<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stopWatching = watchSignals((signal) => controller.abort(signal));
  try {
    return await work(controller.signal);
  } finally {
    stopWatching();
  }
}
