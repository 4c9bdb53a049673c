/**
 * Like Promise.all, but when one task fails it waits for the others to end before throwing the
 * first failure, so their `finally` blocks (temp folders removed, process groups stopped) have run
 * before the caller reports the error and exits. `onFirstFailure` runs once, at the first failure
 * (e.g. to clear a queue of tasks not yet started, or abort the running ones).
 */
export async function allOrFirstError<T>(tasks: readonly Promise<T>[], onFirstFailure: () => void = () => undefined): Promise<T[]> {
  // The first failure in time, not in task order: the failures after it may be its consequences
  // (tasks that onFirstFailure stopped).
  let first: { error: unknown } | null = null;
  const settled = await Promise.allSettled(
    tasks.map((task) =>
      task.catch((error: unknown) => {
        if (first === null) {
          first = { error };
          onFirstFailure();
        }
        throw error;
      }),
    ),
  );
  if (first !== null) throw (first as { error: unknown }).error;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}
