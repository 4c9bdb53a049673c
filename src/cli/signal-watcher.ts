const WATCHED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The one place that listens for SIGINT, SIGTERM and SIGHUP during a run. Every arrival is
 * passed on (the run decides that a second one escalates); returns a function that stops watching.
 */
export function watchSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  const handlers = WATCHED_SIGNALS.map((signal) => {
    const handler = (): void => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
