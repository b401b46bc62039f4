/** Time at the edge. The machine never reads a clock; the handler stamps events with `now()`. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: simulations and tests. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string | number) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string | number): void {
    const t = new Date(to).getTime();
    if (t < this.current) throw new RangeError(`ManualClock cannot go back from ${new Date(this.current).toISOString()} to ${new Date(t).toISOString()}`);
    this.current = t;
  }
  advance(ms: number): void {
    this.set(this.current + ms);
  }
}
