import { parseDirectory } from './directory';
import { workflowSpec } from '@interlend/engine/testing';
import { illRequestWorkflow } from './workflow';
import type { RotaBuiltData } from './events';
import { borrowerActor, hubActor, illSpec, lenderActor, sampleDirectoryJson, sampleRequest, SAMPLE_REQUEST_ID, SAMPLE_TIME } from './testing';

const BORROWER = borrowerActor();

describe('submitting a request', () => {
  it('records the request with the borrower and request id, service level Normal by default', () => {
    const { serviceLevel: _omitted, ...withoutLevel } = sampleRequest();
    illSpec()
      .when({ type: 'submit', data: withoutLevel, actor: BORROWER })
      .then([{ type: 'RequestSubmitted', data: { requestId: 'REQ-1', borrower: 'LIB1', serviceType: 'Loan', serviceLevel: 'Normal', maximumCost: { amount: 25, currency: 'USD' } } }])
      .thenState('networkCheck');
  });

  it('keeps the related request id of a re-request', () => {
    const outcome = illSpec().when({ type: 'submit', data: sampleRequest({ relatedRequestId: 'REQ-0' }), actor: BORROWER });
    outcome.then([{ type: 'RequestSubmitted', data: { relatedRequestId: 'REQ-0' } }]);
    expect(outcome.after?.snapshot.context.relatedRequestId).toBe('REQ-0');
  });

  it('lets hub staff submit', () => {
    illSpec().when({ type: 'submit', data: sampleRequest(), actor: hubActor }).then([{ type: 'RequestSubmitted', data: { borrower: 'HUB' } }]);
  });

  it('refuses a submission from a lending library', () => {
    illSpec().when({ type: 'submit', data: sampleRequest(), actor: lenderActor('LIB2') }).thenThrows('FORBIDDEN', /only a borrowing library \(role borrowing\) or hub staff may submit/);
  });

  it('refuses a second submit on the same request', () => {
    illSpec([{ type: 'submit', data: sampleRequest(), actor: BORROWER }])
      .when({ type: 'submit', data: sampleRequest(), actor: BORROWER })
      .thenThrows('ILLEGAL_STATE', /already exists \(state 'networkCheck'\)/);
  });

  it.each([
    ['data.material.format', { material: { format: 'scroll', title: 'x' } }],
    ['data.material.title', { material: { format: 'book', title: '  ' } }],
    ['data.maximumCost.currency', { maximumCost: { amount: 5, currency: 'dollars' } }],
    ['data.maximumCost.amount', { maximumCost: { amount: -1, currency: 'USD' } }],
    ['data.serviceType', { serviceType: 'Borrow' }],
    ['data.serviceLevel', { serviceLevel: 'Yesterday' }],
    ['data.needBefore', { needBefore: '2026-02-30' }],
    ['data.material.flags[0]', { material: { format: 'book', title: 'x', flags: ['famous'] } }],
  ])('refuses invalid data naming %s', (field, override) => {
    const outcome = illSpec().when({ type: 'submit', data: { ...sampleRequest(), ...override }, actor: BORROWER });
    outcome.thenThrows('VALIDATION', field);
    expect((outcome.error as { details: { issues: { path: string }[] } }).details.issues.map((i) => i.path)).toContain(field);
  });

  it('refuses an unknown field', () => {
    illSpec().when({ type: 'submit', data: { ...sampleRequest(), colour: 'red' }, actor: BORROWER }).thenThrows('VALIDATION', /colour/);
  });
});

describe('screening', () => {
  const submit = (overrides: Parameters<typeof sampleRequest>[0]) => illSpec().when({ type: 'submit', data: sampleRequest(overrides), actor: BORROWER });

  it('rejects an e-book (not returnable) and tells the borrower', () => {
    const outcome = submit({ material: { format: 'ebook', title: 'Digital' } }).thenState('rejected');
    expect(outcome.after?.snapshot.context.screening).toEqual({ outcome: 'rejected', reasons: ['ebook is not returnable: only returnable items can be borrowed'] });
    expect(outcome.effects).toEqual([{ type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'rejected', lender: null, position: null } }]);
  });

  it('rejects other electronic resources', () => {
    submit({ material: { format: 'electronic', title: 'Database' } }).thenState('rejected');
  });

  it('hands an article to document delivery', () => {
    const outcome = submit({ serviceType: 'CopyOrLoan', material: { format: 'article', title: 'Mosses', issn: '1234-5678' } }).thenState('documentDelivery');
    expect(outcome.effects).toHaveLength(1);
    expect(outcome.effects[0]).toMatchObject({ type: 'handToDocumentDelivery', params: { requestId: 'REQ-1', borrower: 'LIB1', request: { material: { format: 'article' } } } });
  });

  it('hands a chapter, and any Copy request, to document delivery', () => {
    submit({ material: { format: 'chapter', title: 'Ch. 3' } }).thenState('documentDelivery');
    submit({ serviceType: 'Copy' }).thenState('documentDelivery');
  });

  it.each([
    ['software', { material: { format: 'software' as const, title: 'Atlas CD' } }],
    ['a periodical issue', { material: { format: 'periodicalIssue' as const, title: 'Moss Monthly 3/2001' } }],
    ['a rare item', { material: { format: 'book' as const, title: 'Incunable', flags: ['rare' as const] } }],
    ['a bestseller', { material: { format: 'book' as const, title: 'Hit', flags: ['bestseller' as const] } }],
  ])('sends %s to staff review', (_what, override) => {
    submit(override).thenState('needsReview');
  });

  it('sends a returnable book to the network check', () => {
    const outcome = submit({}).thenState('networkCheck');
    expect(outcome.effects).toEqual([]);
  });
});

describe('staff review', () => {
  const review = [{ type: 'submit' as const, data: sampleRequest({ material: { format: 'book', title: 'Old', flags: ['rare'] } }), actor: BORROWER }];

  it('records who approved', () => {
    const outcome = illSpec(review).when({ type: 'approve', data: { note: 'ok to try' }, actor: hubActor }).thenState('networkCheck');
    expect(outcome.after?.snapshot.context.review).toMatchObject({ decision: 'approved', by: 'HUB', note: 'ok to try' });
  });

  it('requires a reason to reject', () => {
    illSpec(review).when({ type: 'reject', data: {}, actor: hubActor }).thenThrows('VALIDATION', 'data.reason');
  });

  it('refuses a review from another borrowing library', () => {
    illSpec(review).when({ type: 'approve', actor: borrowerActor('LIB4') }).thenThrows('FORBIDDEN', /only the borrower LIB1 \(role borrowing\) or hub staff may send 'approve'/);
  });
});

describe('the network check and building the rota', () => {
  const submitted = [{ type: 'submit' as const, data: sampleRequest(), actor: BORROWER }];

  it('builds the rota and asks the first lender, with its clock', () => {
    const outcome = illSpec(submitted)
      .when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB4'] }, actor: BORROWER, time: SAMPLE_TIME })
      .then([{ type: 'NotAvailableLocally', data: { preferredLenders: ['LIB4'] } }, { type: 'RotaBuilt' }])
      .thenState('withLender.requested');
    // The event holds the candidates in order with their terms; the skipped libraries were not preferred, so it does not list them.
    const rota = outcome.events[1]!.data as unknown as RotaBuiltData;
    expect(rota.candidates.map((c) => c.library)).toEqual(['LIB4', expect.stringMatching(/LIB2|LIB3/), expect.stringMatching(/LIB2|LIB3/), 'LIB5', 'LIB8']);
    expect(rota.candidates.at(-1)).toMatchObject({ library: 'LIB8', lastResort: true });
    expect(rota.skipped).toBeUndefined();
    expect(outcome.after!.snapshot.context.rota.map((e) => [e.library, e.status, e.reason ?? null])).toEqual([
      ['LIB4', 'candidate', 'preferred by borrower'],
      [expect.stringMatching(/LIB2|LIB3/), 'candidate', null],
      [expect.stringMatching(/LIB2|LIB3/), 'candidate', null],
      ['LIB5', 'candidate', null],
      ['LIB8', 'candidate', 'lender of last resort'],
    ]);
    // Monday 09:00 + 4 business days = Friday 09:00
    expect(outcome.effects).toEqual([
      { type: 'notifyLender', params: { requestId: 'REQ-1', library: 'LIB4', position: 1, serviceType: 'Loan', serviceLevel: 'Normal', respondBy: '2026-01-09T09:00:00.000Z' } },
      { type: 'scheduleDeadline', params: { name: 'lenderResponse', at: '2026-01-09T09:00:00.000Z', key: '1' } },
    ]);
    const context = outcome.after!.snapshot.context;
    expect(context).toMatchObject({ current: 1, lender: 'LIB4', lenderRespondBy: '2026-01-09T09:00:00.000Z', deadlines: { lenderResponse: { at: '2026-01-09T09:00:00.000Z', key: '1' } } });
    expect(context.rota[0]).toMatchObject({ requestedAt: SAMPLE_TIME, outcome: null });
  });

  it('records the preferred libraries the rota skipped, and why', () => {
    const outcome = illSpec(submitted).when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB7', 'LIB1', 'LIB4'] }, actor: BORROWER, time: SAMPLE_TIME });
    const rota = outcome.events[1]!.data as unknown as RotaBuiltData;
    expect(rota.candidates[0]).toMatchObject({ library: 'LIB4' });
    expect(rota.skipped).toEqual([
      { library: 'LIB7', reason: 'does not lend' },
      { library: 'LIB1', reason: 'is the borrower' },
    ]);
    expect(outcome.after!.snapshot.context.rota.filter((e) => e.status === 'skipped').map((e) => [e.position, e.library, e.reason])).toEqual([
      [6, 'LIB7', 'does not lend'],
      [7, 'LIB1', 'is the borrower'],
    ]);
  });

  it('skips the lender closure days in its clock', () => {
    // LIB3 answers loans in 2 business days and is closed Wed 7 and Thu 8 January.
    const outcome = illSpec(submitted).when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB3'] }, actor: BORROWER, time: SAMPLE_TIME });
    expect(outcome.effects[1]).toEqual({ type: 'scheduleDeadline', params: { name: 'lenderResponse', at: '2026-01-09T09:00:00.000Z', key: '1' } });
  });

  it('gives a rush request one business day', () => {
    const outcome = illSpec([{ type: 'submit', data: sampleRequest({ serviceLevel: 'Rush' }), actor: BORROWER }]).when({
      type: 'notAvailableLocally',
      data: { preferredLenders: ['LIB2'] },
      actor: BORROWER,
      time: '2026-01-09T15:00:00.000Z', // a Friday
    });
    expect(outcome.effects[1]).toEqual({ type: 'scheduleDeadline', params: { name: 'lenderResponse', at: '2026-01-12T15:00:00.000Z', key: '1' } });
  });

  it('goes to unfilled at once when no library can lend', () => {
    const json = sampleDirectoryJson();
    const directory = parseDirectory({ libraries: json.libraries.filter((l) => ['LIB1', 'LIB6', 'LIB7'].includes(l.code)) });
    const outcome = illSpec(submitted, { directory })
      .when({ type: 'notAvailableLocally', actor: BORROWER })
      .then([{ type: 'NotAvailableLocally' }, { type: 'RotaBuilt', data: { candidates: [] } }])
      .thenState('unfilled');
    expect(outcome.effects).toEqual([{ type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'unfilled', lender: null, position: null } }]);
  });

  it('refuses to build a rota without a library directory, writing nothing', () => {
    const history = illSpec(submitted).history!;
    const spec = workflowSpec(illRequestWorkflow, { services: { directory: parseDirectory({ libraries: [] }) }, streamId: SAMPLE_REQUEST_ID, time: SAMPLE_TIME });
    spec
      .given(...history.events)
      .when({ type: 'notAvailableLocally', actor: BORROWER })
      .thenThrows('ILLEGAL_STATE', /no library directory is loaded, so no rota can be built .*state 'networkCheck'.*import one first/);
  });

  it('refuses an unknown preferred lender, naming it', () => {
    illSpec(submitted)
      .when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB2', 'NOPE'] }, actor: BORROWER })
      .thenThrows('VALIDATION', "data.preferredLenders[1]: unknown library 'NOPE'");
  });

  it('records the network fill', () => {
    illSpec(submitted).when({ type: 'fillLocally', data: { note: 'consortium branch' }, actor: BORROWER }).then([{ type: 'FilledLocally', data: { note: 'consortium branch' } }]);
  });

  it('refuses the network check from a lending library', () => {
    illSpec(submitted).when({ type: 'notAvailableLocally', actor: lenderActor('LIB2') }).thenThrows('FORBIDDEN', /only the borrower LIB1/);
  });
});
