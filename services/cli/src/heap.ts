import { setFlagsFromString } from 'node:v8';
import { UsageError } from './io';

/**
 * How far V8 may grow its heap past what is live, for the commands that run long (a simulation,
 * a rebuild, a worker, the server, a migration). Left to itself V8 sizes the heap from the
 * allocation rate: a 20,000-request simulation keeping about 30 MB live reserved 225-460 MB of
 * heap, so the resident set grew with the length of the run although nothing kept grew
 * (docs/benchmarks.md, "Scale"). With a growing factor of 1 + p/100 after each full collection
 * the heap follows what is live; the price is more frequent (and, the live heap being small,
 * short) collections, measured by `npm run bench:scale`.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 25;

/** The commands the bound applies to: those that run for minutes or for good. */
export const LONG_RUNNING: ReadonlySet<string> = new Set(['simulate', 'rebuild', 'worker', 'serve', 'migrate']);

/**
 * The percentage from INTERLEND_HEAP_GROWTH (a whole number 1-1000; 0 leaves V8's own policy),
 * else the default.
 */
export function heapGrowthPercent(env: NodeJS.ProcessEnv): number {
  const text = env.INTERLEND_HEAP_GROWTH;
  if (text === undefined || text.trim() === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 0 || value > 1000) {
    throw new UsageError(`INTERLEND_HEAP_GROWTH must be a whole number from 0 (V8's own policy) to 1000 (percent), not '${text}'`);
  }
  return value;
}

/**
 * Applies the bound for `command` when it runs long (V8 reads the flag each time it sets the
 * next collection's limit, so it takes effect from the process's next full collection).
 * Returns the percentage applied, or undefined.
 */
export function boundHeapGrowth(command: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (command === undefined || !LONG_RUNNING.has(command)) return undefined;
  const percent = heapGrowthPercent(env);
  if (percent === 0) return undefined;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
