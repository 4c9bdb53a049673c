// A collection of a big suite can take minutes with nothing on the screen: a line on stderr now
// and then says run-chunks is not stuck. stderr, so that `plan --json` stays parseable.

const DEFAULT_INTERVAL_MS = 5_000;

function intervalMs(): number {
  // RUN_CHUNKS_COLLECT_PROGRESS_MS: tests shorten it (as RUN_CHUNKS_SAMPLER picks a sampler).
  const configured = Number(process.env.RUN_CHUNKS_COLLECT_PROGRESS_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_INTERVAL_MS;
}

/** Runs `collect`, writing "run-chunks: collecting… N s" to stderr every few seconds while it lasts. */
export async function withCollectProgress<T>(collect: () => Promise<T>, stderr: NodeJS.WritableStream = process.stderr): Promise<T> {
  const startedAt = Date.now();
  const timer = setInterval(() => {
    stderr.write(`run-chunks: collecting… ${Math.round((Date.now() - startedAt) / 1000)} s\n`);
  }, intervalMs());
  try {
    return await collect();
  } finally {
    clearInterval(timer);
  }
}
