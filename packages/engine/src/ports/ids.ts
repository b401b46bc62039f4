import { v7 as uuidv7 } from 'uuid';
import type { Clock } from './clock';
import { SeededRandom } from './random';

/** Ids at the edge: the machine never makes one; they travel in commands and events. */
export interface IdGenerator {
  next(): string;
}

/** UUID v7 (time-ordered) from the system's random source. */
export const uuidV7Ids: IdGenerator = { next: () => uuidv7() };

/**
 * UUID v7 whose time comes from `clock` and whose random bits come from a seeded generator:
 * the same seed and the same clock readings give the same ids (simulations, tests).
 */
export class SeededIds implements IdGenerator {
  private readonly random: SeededRandom;
  constructor(seed: number | string, private readonly clock: Clock) {
    this.random = new SeededRandom(`ids:${seed}`);
  }
  next(): string {
    return uuidv7({ msecs: this.clock.now().getTime(), random: this.random.bytes(16), seq: 0 });
  }
}
