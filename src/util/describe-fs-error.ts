/**
 * An fs error in words with its code, e.g. "read-only file system (EROFS)". Node's messages
 * read "EROFS: read-only file system, open '/x'"; the path is left out (the caller names it).
 */
export function describeFsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const words = /^[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return code === undefined ? words : `${words} (${code})`;
}
