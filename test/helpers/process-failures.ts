/**
 * Records exceptions and rejections that reach the process while a test runs. Without this, an
 * error escaping a socket callback of an in-process broker would kill the test runner before the
 * test could say which frame did it.
 */
export interface ProcessFailures {
  readonly seen: string[];
  stop(): void;
}

export function watchProcessFailures(): ProcessFailures {
  const seen: string[] = [];
  const onException = (err: Error) => seen.push(`uncaughtException: ${err.stack ?? String(err)}`);
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    seen,
    stop() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}
