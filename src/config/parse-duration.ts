// Durations are written the way people say them ("90s", "30m", "1h30m", "250ms").

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART_PATTERN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Longest duration accepted: beyond a week is a typo, not a test run. */
export const MAX_DURATION_MS = 7 * UNIT_MS.d!;

/** Parses "1h30m"-style text into milliseconds; returns undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const compact = text.trim().toLowerCase();
  if (!DURATION_PATTERN.test(compact)) return undefined;
  let totalMs = 0;
  for (const [, value, unit] of compact.matchAll(PART_PATTERN)) totalMs += Number(value) * UNIT_MS[unit!]!;
  return Math.round(totalMs);
}

/** Formats milliseconds for people: "850ms", "12.3s", "4m05s", "1h02m". */
export function formatDurationMs(durationMs: number): string {
  // Round before choosing the unit, so 999.6 ms reads "1.0s" rather than "1000ms".
  if (Math.round(durationMs) < 1000) return `${Math.round(durationMs)}ms`;
  const tenths = Math.round(durationMs / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const totalSeconds = Math.round(durationMs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes === 0 ? `${hours}h` : `${hours}h${String(minutes).padStart(2, "0")}m`;
  if (seconds === 0) return `${minutes}m`;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

/** Shortest and longest sampling intervals: faster costs CPU for nothing, slower misses peaks. */
export const MIN_SAMPLE_INTERVAL_MS = 10;
export const MAX_SAMPLE_INTERVAL_MS = 60_000;

/** Parses a sampling interval: a duration ("200ms", "0.5s") or a bare number of milliseconds. */
export function parseIntervalMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (/^\s*\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
  return parseDurationMs(value);
}
