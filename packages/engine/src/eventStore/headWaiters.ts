import type { WaitOptions } from './types';

interface Waiter {
  readonly after: number;
  finish(head: number): void;
}

export interface HeadWaitersOptions {
  /** How often `poll` runs while a wait is pending (appends made by other processes are not notified to this one). */
  readonly pollIntervalMs: number;
  /** Looks at the head and calls `wake` with it; runs every `pollIntervalMs` while a wait is pending. */
  readonly poll: () => void;
  /** The head now, or the last one seen when the store cannot answer: what a wait that times out or is aborted resolves with. */
  readonly currentHead: () => number | Promise<number>;
}

/**
 * The pending `EventStore.waitForEvents` calls of a store that is written by other processes too
 * (SQLite, PostgreSQL): each resolves with the head once it passes the position it waits after
 * (`wake`, from the store's own appends, a notification or the poll), when its timeout ends or
 * its signal aborts (with the head then), or when the store closes (`settleAll`). The poll runs
 * only while a wait is pending; its timer and the timeouts do not keep the process alive.
 */
export class HeadWaiters {
  private readonly waiters = new Set<Waiter>();
  private poller: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: HeadWaitersOptions) {}

  /** How many waits are pending. */
  get pending(): number {
    return this.waiters.size;
  }

  /** Waits for a head past `after`; the store has checked that the head is not past it yet. */
  wait(after: number, options: WaitOptions = {}): Promise<number> {
    const { timeoutMs, signal } = options;
    return new Promise<number>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settleWithHead = (): void => {
        void Promise.resolve(this.options.currentHead()).then((head) => waiter.finish(head));
      };
      const waiter: Waiter = {
        after,
        finish: (head) => {
          if (!this.waiters.delete(waiter)) return;
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', settleWithHead);
          if (this.waiters.size === 0) this.stopPolling();
          resolve(head);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', settleWithHead, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(settleWithHead, Math.max(0, timeoutMs));
        timer.unref();
      }
      this.startPolling();
    });
  }

  /** Resolves the waits whose position `head` passes. */
  wake(head: number): void {
    for (const waiter of [...this.waiters]) if (head > waiter.after) waiter.finish(head);
  }

  /** Resolves every pending wait with `head` and stops polling (the store closes). */
  settleAll(head: number): void {
    for (const waiter of [...this.waiters]) waiter.finish(head);
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.poller !== undefined || this.waiters.size === 0) return;
    this.poller = setInterval(() => this.options.poll(), this.options.pollIntervalMs);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller === undefined) return;
    clearInterval(this.poller);
    this.poller = undefined;
  }
}
