/**
 * Runs in a worker thread (its own SQLite connection, as another process would have) for
 * concurrentWriters.int.test.ts: races the other workers, round by round.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isConcurrencyError } from '@interlend/engine';
import { openSqlite } from '../index';

interface RaceInput {
  readonly path: string;
  readonly worker: number;
  readonly workers: number;
  readonly streams: number;
  readonly increments: number;
  readonly barrier: SharedArrayBuffer;
}

export interface RaceReport {
  readonly worker: number;
  readonly won: number[];
  /** Error codes of the appends that lost ('CONCURRENCY' expected, nothing else). */
  readonly lost: string[];
  readonly retries: number;
}

async function race(input: RaceInput): Promise<RaceReport> {
  const handle = openSqlite(input.path, { synchronous: 'normal' });
  const barrier = new Int32Array(input.barrier);
  // Every worker reaches round r before any goes on: the appends of a round really do race.
  let round = 0;
  const sync = (): void => {
    round++;
    Atomics.add(barrier, 0, 1);
    const deadline = Date.now() + 10_000;
    for (let seen = Atomics.load(barrier, 0); seen < input.workers * round; seen = Atomics.load(barrier, 0)) {
      if (Date.now() > deadline) throw new Error(`worker ${input.worker}: the others never reached round ${round}`);
      Atomics.wait(barrier, 0, seen, 1);
    }
  };

  const won: number[] = [];
  const lost: string[] = [];
  let retries = 0;
  try {
    for (let i = 0; i < input.streams; i++) {
      sync();
      try {
        await handle.events.appendToStream(`race-${i}`, [{ id: `w${input.worker}-race-${i}`, type: 'Claimed', data: { worker: input.worker }, metadata: {} }], { expectedRevision: 'no_stream' });
        won.push(i);
      } catch (error) {
        lost.push(String((error as { code?: unknown }).code ?? error));
      }
      // Read-then-append, as the command handler does: the revision read outside the
      // transaction may be stale by the time we append; the store must catch that.
      if (i < input.increments) {
        sync();
        for (;;) {
          const seen = await handle.events.streamRevision('counter');
          try {
            await handle.events.appendToStream('counter', [{ id: `w${input.worker}-inc-${i}`, type: 'Incremented', data: { worker: input.worker, seen }, metadata: {} }], {
              expectedRevision: seen === -1 ? 'no_stream' : seen,
            });
            break;
          } catch (error) {
            if (!isConcurrencyError(error)) throw error;
            retries++;
          }
        }
      }
    }
  } finally {
    await handle.close();
  }
  return { worker: input.worker, won, lost, retries };
}

race(workerData as RaceInput).then(
  (report) => parentPort?.postMessage({ report }),
  (error: unknown) => parentPort?.postMessage({ error: String((error as Error).stack ?? error) }),
);
