// Memory sizes are written the way people and Kubernetes write them ("4GB", "512MiB", "2Gi", "60%").

/** A memory size as configured: an absolute amount, or a share of the machine's memory. */
export type SizeSpec = { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

// Keys are lower case because units are matched case-insensitively; "b" always means bytes, never
// bits, and the Kubernetes letters ("K", "Mi") mean the same as their "B"-suffixed forms.
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
  // Recognised so that "10PB" is reported as too large rather than as not a size at all.
  p: 1e15, pb: 1e15, e: 1e18, eb: 1e18, pi: 1024 ** 5, pib: 1024 ** 5, ei: 1024 ** 6, eib: 1024 ** 6,
};
// A unit is required: "4096" could mean bytes or megabytes, and guessing wrong is off by a million.
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|[kmgtpe]i?b?)$/;
const PERCENT_PATTERN = /^(\d+(?:\.\d+)?)\s*%$/;
const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
const DECIMAL_UNITS = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/**
 * The amount "4GB"-style text names, however large (Infinity for "1e999"-long digit runs);
 * undefined when the text is not written as a size. Callers want parseSizeBytes; this tells
 * "too large" apart from "not a size" in messages.
 */
export function parseSizeMagnitude(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim().toLowerCase());
  return match ? Math.round(Number(match[1]) * UNIT_BYTES[match[2]!]!) : undefined;
}

/** Parses "4GB"-style text into whole bytes; returns undefined when the text is not a size. */
export function parseSizeBytes(text: string): number | undefined {
  const bytes = parseSizeMagnitude(text);
  // Past 2^53 bytes (8 PiB) whole bytes stop being exact; such a figure is a typo anyway.
  return bytes !== undefined && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Parses a size or a share of memory ("60%", above 0 and at most 100); undefined when neither. */
export function parseSizeSpec(text: string): SizeSpec | undefined {
  const percentMatch = PERCENT_PATTERN.exec(text.trim());
  if (percentMatch) {
    const percent = Number(percentMatch[1]);
    return percent > 0 && percent <= 100 ? { kind: 'percent', percent } : undefined;
  }
  const bytes = parseSizeBytes(text);
  return bytes === undefined ? undefined : { kind: 'bytes', bytes };
}

/** Turns a size spec into whole bytes, a percentage being taken of `totalBytes`. */
export function resolveSizeBytes(spec: SizeSpec, totalBytes: number): number {
  return spec.kind === 'bytes' ? spec.bytes : Math.round((totalBytes * spec.percent) / 100);
}

/** Formats bytes for people in binary units with three significant digits: "900 B", "1.5 KiB", "-12 MiB". */
export function formatBytes(bytes: number): string {
  const text = formatMagnitude(Math.abs(bytes));
  return bytes < 0 && text !== '0 B' ? `-${text}` : text;
}

/** Formats bytes in decimal units with three significant digits: "900 B", "3 GB", "2.79 GB", "-12 MB". */
export function formatDecimalBytes(bytes: number): string {
  const text = formatMagnitude(Math.abs(bytes), 1000, DECIMAL_UNITS);
  return bytes < 0 && text !== '0 B' ? `-${text}` : text;
}

/** The exponent of the largest power of `base` (up to base^6) that divides `bytes` exactly. */
function unitExponent(bytes: number, base: number): number {
  let exponent = 0;
  while (exponent < 6 && bytes % base ** (exponent + 1) === 0) exponent += 1;
  return exponent;
}

/**
 * Whether a size reads as written in decimal units: a whole multiple of a decimal unit (kB, MB,
 * GB, TB) larger than any binary unit it is a multiple of. 3GB (3,000,000,000) is one; 4GiB, 512MiB
 * and 1000MiB are not, and neither is 1024kB (exactly 1000 KiB too). The report keeps limits as
 * bytes only, and this recovers how they were written without keeping the text.
 */
export function isDecimalSize(bytes: number): boolean {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return false;
  return unitExponent(bytes, 1000) > unitExponent(bytes, 1024);
}

/** A limit as its user wrote it: "3 GB" for a memoryLimit of "3GB" (not "2.79 GiB"), "4 GiB" for "4GiB". */
export function formatLimit(limitBytes: number): string {
  return isDecimalSize(limitBytes) ? formatDecimalBytes(limitBytes) : formatBytes(limitBytes);
}

/**
 * A figure shown beside a limit, in the limit's units, so the two compare at a glance: a peak of
 * 2.9e9 bytes beside a "3GB" limit is "2.9 GB", not "2.7 GiB". Binary without a limit.
 */
export function formatBesideLimit(bytes: number, limitBytes: number | null): string {
  return limitBytes !== null && isDecimalSize(limitBytes) ? formatDecimalBytes(bytes) : formatBytes(bytes);
}

function formatMagnitude(bytes: number, base = 1024, units: readonly string[] = BINARY_UNITS): string {
  if (Math.round(bytes) < base) return `${Math.round(bytes)} B`;
  let value = bytes / base;
  let unitIndex = 0;
  // Compare after rounding: 1023.7 KiB would otherwise print as "1024 KiB" rather than "1 MiB".
  while (roundSignificant(value) >= base && unitIndex < units.length - 1) {
    value /= base;
    unitIndex += 1;
  }
  return `${roundSignificant(value)} ${units[unitIndex]!}`;
}

// Number() drops toPrecision's trailing zeros ("1.50" → 1.5); from 100 up, whole units are precise enough.
function roundSignificant(value: number): number {
  return value >= 100 ? Math.round(value) : Number(value.toPrecision(3));
}
