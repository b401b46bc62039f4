import { projectInMemory, type StoredEvent } from '@interlend/engine';
import { borrowerActor, hubActor, illHistory, lenderActor, sampleRequest, sampleShipment } from '../testing';
import { isRequestSummary, requestSummaryProjection, type RequestSummaryDoc } from './libraryHistory';
import { computeStatistics, formatStatistics } from './statistics';

/**
 * Costs paid per borrower and per lender (docs/workflow/costs.md), from real histories:
 * R1 LIB1 borrows from LIB2 (inside the network) at 10 USD;
 * R2 LIB1 borrows from LIB5 (outside) at 12 USD, return shipping 8 USD (LIB5's default);
 * R3 LIB4 borrows from LIB5 at 20 USD, return shipping 9.50 USD (stated);
 * R4 LIB3 borrows in EUR (hub-submitted for LIB3) from LIB2 at 7 EUR;
 * R5 LIB1's request still with LIB2: nothing paid.
 */
function dataset(): RequestSummaryDoc[] {
  const supplied = (requestId: string, borrower: string, lender: string, cost: number, more: { returnShippingCost?: number; currency?: string } = {}): StoredEvent[] => {
    const currency = more.currency ?? 'USD';
    const submit =
      currency === 'USD'
        ? { type: 'submit' as const, data: sampleRequest(), actor: borrowerActor(borrower) }
        : { type: 'submit' as const, data: sampleRequest({ maximumCost: { amount: 30, currency }, onBehalfOf: borrower }), actor: hubActor };
    return illHistory(
      [
        submit,
        { type: 'notAvailableLocally', data: { preferredLenders: [lender] }, actor: borrowerActor(borrower) },
        { type: 'willSupply', actor: lenderActor(lender) },
        {
          type: 'ship',
          data: sampleShipment({
            cost: { amount: cost, currency },
            ...(more.returnShippingCost === undefined ? {} : { returnShippingCost: { amount: more.returnShippingCost, currency } }),
          }),
          actor: lenderActor(lender),
        },
      ],
      { requestId },
    ).stored;
  };
  const open = illHistory(
    [
      { type: 'submit', data: sampleRequest(), actor: borrowerActor() },
      { type: 'notAvailableLocally', data: { preferredLenders: ['LIB2'] }, actor: borrowerActor() },
    ],
    { requestId: 'R5' },
  ).stored;
  const events = [
    ...supplied('R1', 'LIB1', 'LIB2', 10),
    ...supplied('R2', 'LIB1', 'LIB5', 12),
    ...supplied('R3', 'LIB4', 'LIB5', 20, { returnShippingCost: 9.5 }),
    ...supplied('R4', 'LIB3', 'LIB2', 7, { currency: 'EUR' }),
    ...open,
  ];
  return [...projectInMemory(requestSummaryProjection, events).values()].filter(isRequestSummary);
}

const NOW = '2026-02-01T00:00:00.000Z';

describe('cost statistics', () => {
  it('sums the costs paid and the return shipping owed, by currency, in all', () => {
    expect(computeStatistics(dataset(), { now: NOW }).costs.total).toEqual({
      paid: [
        { amount: 7, currency: 'EUR' },
        { amount: 42, currency: 'USD' },
      ],
      returnShipping: [{ amount: 17.5, currency: 'USD' }],
      shipments: 4,
    });
  });

  it('per borrower: what each paid, and the return shipping it owes', () => {
    expect(computeStatistics(dataset(), { now: NOW }).costs.byBorrower).toEqual([
      { borrower: 'LIB1', paid: [{ amount: 22, currency: 'USD' }], returnShipping: [{ amount: 8, currency: 'USD' }], shipments: 2 },
      { borrower: 'LIB3', paid: [{ amount: 7, currency: 'EUR' }], returnShipping: [], shipments: 1 },
      { borrower: 'LIB4', paid: [{ amount: 20, currency: 'USD' }], returnShipping: [{ amount: 9.5, currency: 'USD' }], shipments: 1 },
    ]);
  });

  it('per lender: what it was paid as supplier, and the return shipping owed for its items', () => {
    expect(computeStatistics(dataset(), { now: NOW }).costs.byLender).toEqual([
      { lender: 'LIB2', paid: [{ amount: 7, currency: 'EUR' }, { amount: 10, currency: 'USD' }], returnShipping: [], shipments: 2 },
      { lender: 'LIB5', paid: [{ amount: 32, currency: 'USD' }], returnShipping: [{ amount: 17.5, currency: 'USD' }], shipments: 2 },
    ]);
  });

  it('with `library`, gives only its own figures as borrower and as lender', () => {
    const costs = computeStatistics(dataset(), { now: NOW, library: 'LIB5' }).costs;
    expect(costs.byBorrower).toEqual([]);
    expect(costs.byLender.map((c) => c.lender)).toEqual(['LIB5']);
    expect(computeStatistics(dataset(), { now: NOW, library: 'LIB1' }).costs.byLender).toEqual([]);
  });

  it('reads a summary written before the cost fields as no cost', () => {
    const old = dataset().map((doc) => {
      const { cost: _c, returnShippingCost: _r, ...rest } = doc;
      return rest as unknown as RequestSummaryDoc;
    });
    expect(computeStatistics(old, { now: NOW }).costs.total).toEqual({ paid: [], returnShipping: [], shipments: 0 });
  });

  it('prints the costs in the text report', () => {
    const text = formatStatistics(computeStatistics(dataset(), { now: NOW }));
    expect(text).toContain('Costs: 4 shipments, paid 7.00 EUR + 42.00 USD, return shipping owed 17.50 USD');
    expect(text).toMatch(/Costs paid by borrower:\n.*\n\s+LIB1\s+2\s+22\.00 USD\s+8\.00 USD/);
    expect(text).toMatch(/Costs paid to lender:\n.*\n\s+LIB2\s+2\s+7\.00 EUR \+ 10\.00 USD\s+-/);
  });
});
