import { parseDurationMs } from '../config/parse-duration.js';
import type { RunChunksConfig } from '../config/types.js';

// Collection imports every test module; a minute is far more than a large suite needs, and a
// collection that takes longer is stuck (a conftest waiting on a network, a fixture at import).
export const DEFAULT_COLLECT_TIMEOUT_MS = 60_000;

/** How long each collection may take, and what stops it early (Ctrl-C). */
export interface CollectLimits {
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** The collection limits of a config: its `collectTimeout`, or DEFAULT_COLLECT_TIMEOUT_MS. */
export function collectLimitsOf(config: RunChunksConfig, signal?: AbortSignal): CollectLimits {
  const configured = config.collectTimeout === undefined ? undefined : parseDurationMs(config.collectTimeout);
  return { timeoutMs: configured ?? DEFAULT_COLLECT_TIMEOUT_MS, signal };
}
