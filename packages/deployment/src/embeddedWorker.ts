import type { App } from './embedded';

/** What the in-process worker loop reports (the CLI prints it, the API logs it). */
export type EmbeddedWorkerEvent =
  | { readonly event: 'deadlines'; readonly fired: number; readonly refused: number }
  | { readonly event: 'error'; readonly error: string; readonly failures: number; readonly retryInMs: number };

export interface EmbeddedWorkerOptions {
  /** The longest wait between two checks of the clock (new events wake it at once). */
  readonly intervalMs: number;
  /** Ends the loop (the promise resolves once the current round is done). */
  readonly signal: AbortSignal;
  readonly onEvent?: (event: EmbeddedWorkerEvent) => void;
}

/**
 * The embedded deployment's background work, in the process that calls it: fires deadlines as
 * they fall due, carries out effects and keeps the read models current, until `signal` aborts.
 * Wakes on new events at once (other processes' appends within the polling interval) and at least
 * every `intervalMs` for the clock. It survives every failure (a conflict with another process
 * carrying the log forward, a busy or briefly unavailable store): it reports it, waits (250 ms,
 * doubling to at most 30 s while failures repeat) and goes on. Used by `interlend worker` and
 * `interlend serve`.
 */
export async function runEmbeddedWorker(app: App, options: EmbeddedWorkerOptions): Promise<void> {
  const { intervalMs, signal } = options;
  const report = (event: EmbeddedWorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a reporter that fails must not stop the worker
    }
  };
  let failures = 0;
  while (!signal.aborted) {
    try {
      const run = await app.runtime.timers.runDue();
      if (run.fired || run.refused) report({ event: 'deadlines', fired: run.fired, refused: run.refused });
      await app.runtime.settleQuietly();
      failures = 0;
      const head = await app.events.headPosition();
      await app.events.waitForEvents(head, { timeoutMs: intervalMs, signal });
    } catch (error) {
      failures++;
      const retryInMs = Math.min(30_000, 250 * 2 ** Math.min(failures - 1, 7));
      report({ event: 'error', error: (error as Error)?.message ?? String(error), failures, retryInMs });
      await pause(retryInMs, signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
