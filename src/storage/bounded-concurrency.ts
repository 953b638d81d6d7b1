/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in item order. After the first
 * failure no new item starts; the failure is rethrown once the running calls end. Opening or
 * deleting thousands of partitions this way keeps the file system's thread pool (4 threads by
 * default) partly free for produce and fetch.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const state: { failed: boolean; error: unknown } = { failed: false, error: undefined };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!state.failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        if (!state.failed) state.error = err;
        state.failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (state.failed) throw state.error;
}
