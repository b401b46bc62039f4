import type { Clock } from './clock';
import { SeededRandom } from './random';

/** Ids at the edge: the machine never makes one; they travel in commands and events. */
export interface IdGenerator {
  next(): string;
}

type UuidV7 = (options?: { readonly msecs: number; readonly random: Uint8Array; readonly seq: number }) => string;
let v7: UuidV7 | undefined;

/**
 * UUID v7 (RFC 9562) from the `uuid` package, loaded on the first id made: reads (and `--help`)
 * make none, and loading the package cost every CLI call tens of milliseconds.
 */
export function uuidV7(options?: { readonly msecs: number; readonly random: Uint8Array; readonly seq: number }): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed (start-up, docs/workflow/cli-start-up.md)
  v7 ??= (require('uuid') as { v7: UuidV7 }).v7;
  return v7(options);
}

/** UUID v7 (time-ordered) from the system's random source. */
export const uuidV7Ids: IdGenerator = { next: () => uuidV7() };

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
    return uuidV7({ msecs: this.clock.now().getTime(), random: this.random.bytes(16), seq: 0 });
  }
}
