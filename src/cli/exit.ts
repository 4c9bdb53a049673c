// The only module that calls process.exit: it runs after reporters have flushed, and waits for
// stdout and stderr to drain so that a piped summary is never cut short.

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

/** Flushes the standard streams, then exits with `exitCode`. */
export async function exitProcess(exitCode: number): Promise<never> {
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  process.exit(exitCode);
}
