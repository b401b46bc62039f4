/**
 * What one commit costs with synchronous=FULL and with NORMAL, on this machine's disk. Skipped
 * unless asked for (it measures, it does not check):
 *
 *   INTERLEND_BENCH=1 npx jest packages/store-sqlite/src/commitCost --verbose=false
 *
 * Figures are in docs/storage-sqlite.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '@interlend/engine';
import { openSqlite, rawAppendBaseline } from './index';

const enabled = process.env.INTERLEND_BENCH === '1';
const COMMITS = Number(process.env.INTERLEND_BENCH_COMMITS ?? 1000);
const ROUNDS = Number(process.env.INTERLEND_BENCH_ROUNDS ?? 3);

let sequence = 0;
const event = (): NewEvent => ({
  id: `bench-${++sequence}`,
  type: 'ItemShipped',
  data: { requestId: `req-${sequence}`, lender: `LIB${sequence % 50}`, due: '2026-01-02T00:00:00.000Z' },
  metadata: { workflow: 'ill', commandId: `cmd-${sequence}`, actor: { id: 'u1', role: 'staff' }, time: '2026-01-01T00:00:00.000Z', effects: [] },
});

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
};

(enabled ? describe : describe.skip)('commit cost (benchmark)', () => {
  it(
    'times single-event appends with synchronous FULL and NORMAL',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'interlend-commit-cost-'));
      const lines: string[] = [];
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          for (const synchronous of ['full', 'normal'] as const) {
            const handle = openSqlite(join(dir, `${synchronous}-${round}.db`), { synchronous });
            for (let i = 0; i < 20; i++) await handle.events.appendToStream(`warm-${i}`, [event()], { expectedRevision: 'no_stream' });
            const store: number[] = [];
            const raw: number[] = [];
            const start = performance.now();
            for (let i = 0; i < COMMITS; i++) {
              const t = performance.now();
              await handle.events.appendToStream(`s-${i % 200}`, [event()], { expectedRevision: 'any' });
              store.push((performance.now() - t) * 1000);
            }
            const perSecond = COMMITS / ((performance.now() - start) / 1000);
            for (let i = 0; i < COMMITS; i++) {
              const t = performance.now();
              rawAppendBaseline(handle.db, `r-${i % 200}`, [event()], 'any');
              raw.push((performance.now() - t) * 1000);
            }
            await handle.close();
            lines.push(
              `round ${round} ${synchronous.padEnd(6)} store p50 ${percentile(store, 0.5).toFixed(0)} µs, p99 ${percentile(store, 0.99).toFixed(0)} µs, ` +
                `${perSecond.toFixed(0)} commits/s; rawAppendBaseline p50 ${percentile(raw, 0.5).toFixed(0)} µs`,
            );
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      process.stdout.write(`\n${lines.join('\n')}\n`);
      expect(lines).toHaveLength(ROUNDS * 2);
    },
    600_000,
  );
});
