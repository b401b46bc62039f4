/**
 * `work` run by one caller at a time, for work that catches up with something that keeps growing
 * (the log): a call while a pass runs waits for one more pass that starts after it (the running
 * pass may have begun before the caller's change), and every call that arrives meanwhile shares
 * that one next pass. N callers in flight cost about two passes, not N.
 */
export function singleFlight<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const pass = work().finally(() => {
      if (running === pass) running = undefined;
    });
    running = pass;
    return pass;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
