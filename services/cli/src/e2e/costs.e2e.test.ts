/**
 * Costs against library profiles (issue 11, item 2), as docs/workflow/costs.md walks through them
 * with the example directory: a maximum above the borrower's own needs hub approval, the rota
 * skips a lender whose lending fee is above the maximum, a lender outside the delivery network
 * records the return shipping owed, and `stats` shows the costs.
 */
import * as path from 'node:path';
import { sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

const DIRECTORY = path.resolve(__dirname, '../../../../docs/examples/directory.json');

interface HistoryJson {
  state: string;
  events: { type: string; data: Record<string, unknown> }[];
  context: { rota: { library: string; status: string; reason?: string }[] } | null;
}

describe('costs against library profiles (docs/workflow/costs.md)', () => {
  it('walks the example: hub approval above the library maximum, a lending fee skip, return shipping owed, costs in stats', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', DIRECTORY);

    // 40 USD is above LIB1's maximum (15 shipping + 10 fees): it waits for review.
    const { requestId: id, state } = await ws.json<{ requestId: string; state: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest({ maximumCost: { amount: 40, currency: 'USD' } })));
    expect(state).toBe('needsReview');

    const refused = await ws.run('act', id, 'approve', '--as', 'LIB1');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("its maximum cost 40.00 USD is above LIB1's maximum 25.00 USD; only hub staff (role hub) may approve it");

    expect(await ws.json('act', id, 'approve', '--as', 'LIB7', '--role', 'hub', '--data', '{"note":"rare item: the hub pays"}')).toMatchObject({ state: 'networkCheck' });
    expect(await ws.json('act', id, 'notAvailableLocally', '--as', 'LIB1', '--data', '{"preferredLenders":["LIB5"]}')).toMatchObject({ state: 'withLender.requested' });
    const dueDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    expect(await ws.json('act', id, 'ship', '--as', 'LIB5', '--data', JSON.stringify({ itemIds: ['B1'], dueDate, cost: { amount: 12, currency: 'USD' } }))).toMatchObject({ state: 'shipped' });
    const shipped = (await ws.json<HistoryJson>('history', id)).events.find((e) => e.type === 'Shipped')!;
    expect(shipped.data.returnShippingCost).toEqual({ amount: 8, currency: 'USD' });

    // A second request at 10 USD: LIB5's lending fee of 12 is above it.
    const { requestId: cheap } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('cheap.json', sampleRequest({ maximumCost: { amount: 10, currency: 'USD' } })));
    await ws.json('act', cheap, 'notAvailableLocally', '--as', 'LIB1', '--data', '{"preferredLenders":["LIB5","LIB4"]}');
    const history = await ws.json<HistoryJson>('history', cheap);
    expect(history.context!.rota.find((e) => e.library === 'LIB5')).toMatchObject({ status: 'skipped', reason: 'lending fee 12.00 USD above the maximum 10.00 USD' });
    expect(history.context!.rota[0]).toMatchObject({ library: 'LIB4', status: 'candidate' });

    const stats = await ws.run('stats');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('Costs: 1 shipments, paid 12.00 USD, return shipping owed 8.00 USD');
    expect(stats.stdout).toMatch(/Costs paid by borrower:\n.*\n\s+LIB1\s+1\s+12\.00 USD\s+8\.00 USD/);
    expect(stats.stdout).toMatch(/Costs paid to lender:\n.*\n\s+LIB5\s+1\s+12\.00 USD\s+8\.00 USD/);
    const json = await ws.json<{ costs: { byLender: unknown[] } }>('stats');
    expect(json.costs.byLender).toEqual([{ lender: 'LIB5', paid: [{ amount: 12, currency: 'USD' }], returnShipping: [{ amount: 8, currency: 'USD' }], shipments: 1 }]);
  });

  it("lets hub staff submit on a library's behalf above its maximum (submit --role hub)", async () => {
    const ws = workspace();
    await ws.json('directory', 'import', DIRECTORY);
    const request = { ...sampleRequest({ maximumCost: { amount: 40, currency: 'USD' } }), onBehalfOf: 'LIB1' };
    const { requestId: id, state } = await ws.json<{ requestId: string; state: string }>('submit', '--as', 'LIB7', '--role', 'hub', '--file', ws.writeJson('request.json', request));
    expect(state).toBe('networkCheck');
    const submitted = (await ws.json<HistoryJson>('history', id)).events[0]!;
    expect(submitted.data).toMatchObject({ borrower: 'LIB1', screening: { overLibraryMaximum: { approval: 'hubSubmitted' } } });
    const borrowerTries = await ws.run('submit', '--as', 'LIB1', '--file', ws.writeJson('again.json', request));
    expect(borrowerTries.stderr).toContain("only hub staff (role hub) may submit on a library's behalf");
  });
});
