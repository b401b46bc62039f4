import type { JsonObject } from '@interlend/engine';
import { workflowSpec } from '@interlend/engine/testing';
import { parseDirectory } from './directory';
import { illRequestWorkflow } from './workflow';
import type { RotaBuiltData, ShippedData } from './events';
import { borrowerActor, hubActor, illSpec, type HistoryStep, lenderActor, sampleDirectoryJson, sampleRequest, sampleShipment } from './testing';

/**
 * Costs against library profiles (docs/workflow/costs.md). In the sample directory every
 * library's maximum cost is 25.00 USD (shipping 15 + fees 10); LIB4 charges a lending fee of 5,
 * LIB5 (outside the delivery network, return shipping 8) one of 12; LIB8 (last resort, outside
 * the network) has return shipping 6.
 */

const BORROWER = borrowerActor();
const LIB5 = lenderActor('LIB5');
const overMaximum = sampleRequest({ maximumCost: { amount: 40, currency: 'USD' } });

describe("a request's maximum cost against its library's maximum", () => {
  it('sends a request above its library\'s maximum to review, naming both amounts', () => {
    const outcome = illSpec()
      .when({ type: 'submit', data: overMaximum, actor: BORROWER })
      .then([
        {
          type: 'RequestSubmitted',
          data: {
            borrower: 'LIB1',
            screening: {
              outcome: 'needsReview',
              reasons: ["maximum cost 40.00 USD is above LIB1's maximum 25.00 USD: hub staff must approve it"],
              overLibraryMaximum: { libraryMaximum: { amount: 25, currency: 'USD' }, approval: 'hubReview' },
            },
          },
        },
      ])
      .thenState('needsReview');
    expect(outcome.after!.snapshot.context.screening?.overLibraryMaximum?.approval).toBe('hubReview');
  });

  it("lets a request at its library's maximum go on to the network check", () => {
    const outcome = illSpec().when({ type: 'submit', data: sampleRequest({ maximumCost: { amount: 25, currency: 'USD' } }), actor: BORROWER }).thenState('networkCheck');
    expect((outcome.events[0]!.data as { screening: Record<string, unknown> }).screening.overLibraryMaximum).toBeUndefined();
  });

  it("counts a maximum in another currency than the library's as above it", () => {
    illSpec()
      .when({ type: 'submit', data: sampleRequest({ maximumCost: { amount: 5, currency: 'EUR' } }), actor: BORROWER })
      .then([{ type: 'RequestSubmitted', data: { screening: { outcome: 'needsReview', reasons: ["maximum cost 5.00 EUR is not in the currency of LIB1's maximum 25.00 USD: hub staff must approve it"] } } }])
      .thenState('needsReview');
  });

  it('adds the cost reason to the other reasons for review', () => {
    const data = sampleRequest({ maximumCost: { amount: 30, currency: 'USD' }, material: { format: 'book', title: 'Parish Registers', flags: ['genealogy'] } });
    illSpec()
      .when({ type: 'submit', data, actor: BORROWER })
      .then([{ type: 'RequestSubmitted', data: { screening: { outcome: 'needsReview', reasons: ['flagged genealogy', "maximum cost 30.00 USD is above LIB1's maximum 25.00 USD: hub staff must approve it"] } } }]);
  });

  it("refuses the borrower's approval: only hub staff may approve a maximum above the library's", () => {
    illSpec([{ type: 'submit', data: overMaximum, actor: BORROWER }])
      .when({ type: 'approve', data: {}, actor: BORROWER })
      .thenThrows('FORBIDDEN', /request REQ-1 needs hub approval: its maximum cost 40\.00 USD is above LIB1's maximum 25\.00 USD; only hub staff \(role hub\) may approve it/);
  });

  it('lets hub staff approve it', () => {
    const outcome = illSpec([{ type: 'submit', data: overMaximum, actor: BORROWER }]).when({ type: 'approve', data: { note: 'rare item, paid by the grant' }, actor: hubActor });
    outcome.then([{ type: 'StaffApproved', data: { note: 'rare item, paid by the grant' } }]).thenState('networkCheck');
    expect(outcome.after!.snapshot.context.review).toMatchObject({ decision: 'approved', by: 'HUB' });
  });

  it('still lets the borrower withdraw it by rejecting', () => {
    illSpec([{ type: 'submit', data: overMaximum, actor: BORROWER }])
      .when({ type: 'reject', data: { reason: 'too expensive after all' }, actor: BORROWER })
      .thenState('rejected');
  });

  it("lets the borrower approve a review that is not about cost (the hub rule applies only above the library's maximum)", () => {
    illSpec([{ type: 'submit', data: sampleRequest({ material: { format: 'book', title: 'Parish Registers', flags: ['genealogy'] } }), actor: BORROWER }])
      .when({ type: 'approve', data: {}, actor: BORROWER })
      .thenState('networkCheck');
  });

  it("lets hub staff submit on a library's behalf above its maximum, and says so in the event", () => {
    illSpec()
      .when({ type: 'submit', data: { ...overMaximum, onBehalfOf: 'LIB1' }, actor: hubActor })
      .then([
        {
          type: 'RequestSubmitted',
          data: {
            borrower: 'LIB1',
            screening: {
              outcome: 'networkCheck',
              reasons: ["returnable book: try the borrower's own network first", "maximum cost 40.00 USD is above LIB1's maximum 25.00 USD: submitted by hub staff, who may exceed it"],
              overLibraryMaximum: { libraryMaximum: { amount: 25, currency: 'USD' }, approval: 'hubSubmitted' },
            },
          },
        },
      ])
      .thenState('networkCheck');
  });

  it('refuses onBehalfOf from anyone but hub staff, and an unknown library', () => {
    illSpec()
      .when({ type: 'submit', data: { ...overMaximum, onBehalfOf: 'LIB2' }, actor: BORROWER })
      .thenThrows('FORBIDDEN', /only hub staff \(role hub\) may submit on a library's behalf \(data.onBehalfOf 'LIB2'\)/);
    illSpec().when({ type: 'submit', data: { ...overMaximum, onBehalfOf: 'NOPE' }, actor: hubActor }).thenThrows('VALIDATION', /data\.onBehalfOf: unknown library 'NOPE'/);
  });

  it('reads the maximum from the directory (maxShipping + maxFees, in its currency)', () => {
    const json = sampleDirectoryJson();
    json.currency = 'EUR';
    json.libraries[0] = { ...json.libraries[0]!, maxShipping: 30, maxFees: 12.5 };
    illSpec([], { directory: parseDirectory(json) })
      .when({ type: 'submit', data: sampleRequest({ maximumCost: { amount: 42.5, currency: 'EUR' } }), actor: BORROWER })
      .thenState('networkCheck');
    illSpec([], { directory: parseDirectory(json) })
      .when({ type: 'submit', data: sampleRequest({ maximumCost: { amount: 42.51, currency: 'EUR' } }), actor: BORROWER })
      .then([{ type: 'RequestSubmitted', data: { screening: { outcome: 'needsReview', overLibraryMaximum: { libraryMaximum: { amount: 42.5, currency: 'EUR' } } } } }]);
  });
});

describe('the rota and lending fees', () => {
  it('skips a lender whose lending fee is above the maximum, with the reason, recorded when the borrower preferred it', () => {
    const outcome = illSpec([{ type: 'submit', data: sampleRequest({ maximumCost: { amount: 10, currency: 'USD' } }), actor: BORROWER }]).when({
      type: 'notAvailableLocally',
      data: { preferredLenders: ['LIB5', 'LIB4'] },
      actor: BORROWER,
    });
    outcome.then([{ type: 'NotAvailableLocally' }, { type: 'RotaBuilt', data: { skipped: [{ library: 'LIB5', reason: 'lending fee 12.00 USD above the maximum 10.00 USD' }] } }]);
    const rota = outcome.events[1]!.data as unknown as RotaBuiltData;
    expect(rota.candidates.map((c) => c.library)).toEqual(['LIB4', 'LIB2', 'LIB3', 'LIB8']); // LIB4's fee 5 is within; LIB8 last resort
    expect(outcome.after!.snapshot.context.rota.find((e) => e.library === 'LIB5')).toMatchObject({ status: 'skipped', reason: 'lending fee 12.00 USD above the maximum 10.00 USD' });
  });

  it('keeps a lender whose lending fee equals the maximum, and records that it is outside the delivery network', () => {
    const outcome = illSpec([{ type: 'submit', data: sampleRequest({ maximumCost: { amount: 12, currency: 'USD' } }), actor: BORROWER }]).when({
      type: 'notAvailableLocally',
      data: { preferredLenders: ['LIB5'] },
      actor: BORROWER,
    });
    const rota = outcome.events[1]!.data as unknown as RotaBuiltData;
    expect(rota.candidates[0]).toEqual({ library: 'LIB5', daysToRespond: 4, outsideNetwork: true });
    expect(rota.candidates.find((c) => c.library === 'LIB2')!.outsideNetwork).toBeUndefined();
    expect(rota.skipped).toBeUndefined();
  });
});

describe('return shipping from a lender outside the delivery network', () => {
  const withLIB5: HistoryStep[] = [
    { type: 'submit', data: sampleRequest(), actor: BORROWER },
    { type: 'notAvailableLocally', data: { preferredLenders: ['LIB5'] }, actor: BORROWER },
    { type: 'willSupply', actor: LIB5 },
  ];

  it("records the return shipping the borrower owes, from the lender's profile by default", () => {
    const outcome = illSpec([...withLIB5]).when({ type: 'ship', data: sampleShipment(), actor: LIB5 });
    outcome.then([{ type: 'Shipped', data: { lender: 'LIB5', cost: { amount: 10, currency: 'USD' }, returnShippingCost: { amount: 8, currency: 'USD' } } }]).thenState('shipped');
  });

  it('records the return shipping the lender states', () => {
    illSpec([...withLIB5])
      .when({ type: 'ship', data: sampleShipment({ returnShippingCost: { amount: 11.5, currency: 'USD' } }), actor: LIB5 })
      .then([{ type: 'Shipped', data: { returnShippingCost: { amount: 11.5, currency: 'USD' } } }]);
  });

  it('does not count the return shipping against the maximum cost', () => {
    illSpec([...withLIB5])
      .when({ type: 'ship', data: sampleShipment({ cost: { amount: 25, currency: 'USD' }, returnShippingCost: { amount: 9, currency: 'USD' } }), actor: LIB5 })
      .thenState('shipped');
  });

  it('requires it when the profile has no default, naming the field', () => {
    const json = sampleDirectoryJson();
    const lib5 = json.libraries.findIndex((l) => l.code === 'LIB5');
    const { returnShippingCost: _none, ...withoutDefault } = json.libraries[lib5]!;
    json.libraries[lib5] = withoutDefault;
    illSpec([...withLIB5], { directory: parseDirectory(json) })
      .when({ type: 'ship', data: sampleShipment(), actor: LIB5 })
      .thenThrows('VALIDATION', /data\.returnShippingCost: is required: LIB5 is outside the delivery network, so the borrower owes the return shipping/);
  });

  it("refuses one in another currency than the request's maximum", () => {
    illSpec([...withLIB5])
      .when({ type: 'ship', data: sampleShipment({ returnShippingCost: { amount: 8, currency: 'EUR' } }), actor: LIB5 })
      .thenThrows('VALIDATION', /data\.returnShippingCost: currency must be USD/);
  });

  it('refuses it from a lender inside the delivery network, and records none', () => {
    const inside: HistoryStep[] = [
      { type: 'submit', data: sampleRequest(), actor: BORROWER },
      { type: 'notAvailableLocally', data: { preferredLenders: ['LIB2'] }, actor: BORROWER },
    ];
    illSpec([...inside])
      .when({ type: 'ship', data: sampleShipment({ returnShippingCost: { amount: 8, currency: 'USD' } }), actor: lenderActor('LIB2') })
      .thenThrows('VALIDATION', /data\.returnShippingCost: LIB2 is inside the delivery network/);
    const shipped = illSpec([...inside]).when({ type: 'ship', data: sampleShipment(), actor: lenderActor('LIB2') });
    shipped.thenState('shipped');
    expect((shipped.events[0]!.data as unknown as ShippedData).returnShippingCost).toBeUndefined();
  });

  it('treats a lender of a rota recorded before the outsideNetwork flag as inside', () => {
    // An older RotaBuilt: LIB5 without `outsideNetwork`.
    const given = illSpec([...withLIB5]);
    const events = given.history!.events.map((e) =>
      e.type === 'RotaBuilt' ? { ...e, data: { ...e.data, candidates: (e.data as unknown as RotaBuiltData).candidates.map(({ outsideNetwork: _o, ...c }) => c) } as unknown as JsonObject } : e,
    );
    const outcome = workflowSpec(illRequestWorkflow, { services: { directory: parseDirectory(sampleDirectoryJson()) }, streamId: 'REQ-1', time: given.time })
      .given(...events)
      .when({ type: 'ship', data: sampleShipment(), actor: LIB5 });
    outcome.thenState('shipped');
    expect((outcome.events[0]!.data as unknown as ShippedData).returnShippingCost).toBeUndefined();
  });
});
