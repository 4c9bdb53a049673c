import type { RunEvent } from '../events/types.js';
import { EVENT_HANDLERS, type Reporter } from './reporter.js';

/** Fans events out to reporters; one reporter's failure is reported, never spread to the others. */
export interface ReporterMultiplexer {
  emit(event: RunEvent): void;
  /** Waits for every asynchronous handler (file writes) started so far. */
  flush(): Promise<void>;
}

/** Builds a multiplexer; `onReporterError` hears about each failing reporter. */
export function createReporterMultiplexer(
  reporters: readonly Reporter[],
  onReporterError: (reporter: Reporter, error: unknown) => void,
): ReporterMultiplexer {
  const pending = new Set<Promise<void>>();
  const deliver = (reporter: Reporter, event: RunEvent): void => {
    const handler = reporter[EVENT_HANDLERS[event.type]] as ((event: RunEvent) => void | Promise<void>) | undefined;
    if (!handler) return;
    try {
      const result = handler.call(reporter, event);
      if (result instanceof Promise) {
        const tracked: Promise<void> = result
          .catch((error: unknown) => onReporterError(reporter, error))
          .finally(() => pending.delete(tracked));
        pending.add(tracked);
      }
    } catch (error) {
      onReporterError(reporter, error);
    }
  };
  return {
    emit(event) {
      for (const reporter of reporters) deliver(reporter, event);
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
