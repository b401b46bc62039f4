/** A counting semaphore: at most `size` pieces of work at once, the rest wait in arrival order. */
export class Slots {
  private used = 0;
  private readonly waiting: ((granted: boolean) => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`slots: size must be a positive integer, not ${size}`);
  }

  /**
   * Resolves when a slot is free with the function that frees it (call it once), or with
   * undefined when `signal` aborts first.
   */
  async acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return undefined;
    if (this.used < this.size) this.used++;
    else {
      const granted = await new Promise<boolean>((resolve) => {
        const waiter = (ok: boolean) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ok);
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        };
        this.waiting.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (!granted) return undefined;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next(true); // the slot passes straight to the next in line
      else this.used--;
    };
  }
}
