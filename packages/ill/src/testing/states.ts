import type { DeadlineName, IllStateName } from '../events';
import type { HistoryStep } from './fixtures';
import { borrowerActor, hubActor, lenderActor, sampleRequest, sampleShipment, toFirstLender } from './fixtures';

type Step = HistoryStep | { readonly deadline: DeadlineName; readonly time?: string };

const LIB2 = lenderActor('LIB2');
const firstLender = toFirstLender();
const shipped: Step[] = [...firstLender, { type: 'willSupply', actor: LIB2 }, { type: 'ship', data: sampleShipment(), actor: LIB2 }];
const received: Step[] = [...shipped, { type: 'receive', actor: borrowerActor() }];
const inUse: Step[] = [...received, { type: 'checkOutToPatron', actor: borrowerActor() }];
const networkCheck: Step[] = [{ type: 'submit', data: sampleRequest(), actor: borrowerActor() }];
/** The sample rota's candidates in order: preferred LIB2, LIB3, LIB4, then LIB5 (outside the network), LIB8 (last resort). */
export const SAMPLE_CANDIDATES = ['LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB8'] as const;
const unfilled: Step[] = [...firstLender, ...SAMPLE_CANDIDATES.map((code): Step => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) }))];
const returnShipped: Step[] = [...inUse, { type: 'shipReturn', data: { trackingId: 'RET1' }, actor: borrowerActor() }];

/**
 * Command steps (for `illHistory`) that bring the sample request (REQ-1, borrower LIB1, preferred
 * lenders LIB2, LIB3, LIB4) into each state. Times advance one minute a step from Monday
 * 2026-01-05 09:00 UTC, except where a deadline fires.
 */
export const STATE_STEPS: Readonly<Record<IllStateName, readonly Step[]>> = {
  needsReview: [{ type: 'submit', data: sampleRequest({ material: { format: 'book', title: 'Parish Registers 1700-1750', flags: ['genealogy'] } }), actor: borrowerActor() }],
  networkCheck,
  'withLender.requested': firstLender,
  'withLender.expectsToSupply': [...firstLender, { type: 'expectToSupply', actor: LIB2 }],
  'withLender.willSupply': [...firstLender, { type: 'willSupply', actor: LIB2 }],
  'withLender.conditional': [...firstLender, { type: 'answerConditional', data: { condition: 'LibraryUseOnly', offeredCost: { amount: 20, currency: 'USD' } }, actor: LIB2 }],
  'withLender.cancelPending': [...firstLender, { type: 'cancel', data: { reason: 'patron left town' }, actor: borrowerActor() }],
  shipped,
  misdelivered: [...shipped, { type: 'reportMisdelivered', data: { receivedBy: 'LIB5' }, actor: lenderActor('LIB5') }],
  'onLoan.received': received,
  'onLoan.inUse': inUse,
  'onLoan.renewalPending': [...inUse, { type: 'requestRenewal', actor: borrowerActor() }],
  'onLoan.overdue': [...inUse, { deadline: 'due' }],
  'onLoan.recalled': [...inUse, { type: 'recall', data: { note: 'needed locally' }, actor: LIB2 }],
  'onLoan.awaitingReturn': [...received, { type: 'reportWrongItem', data: { note: 'a different edition' }, actor: borrowerActor() }],
  returnShipped,
  rejected: [{ type: 'submit', data: sampleRequest({ material: { format: 'ebook', title: 'Digital Mosses' } }), actor: borrowerActor() }],
  documentDelivery: [{ type: 'submit', data: sampleRequest({ serviceType: 'Copy', material: { format: 'article', title: 'Mosses of the North', issn: '1234-5678' } }), actor: borrowerActor() }],
  filledLocally: [...networkCheck, { type: 'fillLocally', data: { note: 'found in the consortium' }, actor: borrowerActor() }],
  unfilled,
  reRequested: [...unfilled, { type: 'reRequest', actor: borrowerActor() }],
  cancelled: [...networkCheck, { type: 'cancel', data: { reason: 'patron bought it' }, actor: borrowerActor() }],
  completed: [...returnShipped, { type: 'checkIn', actor: LIB2 }],
  wrongItemReturned: [
    ...received,
    { type: 'reportWrongItem', data: { note: 'a different edition' }, actor: borrowerActor() },
    { type: 'shipReturn', data: { trackingId: 'RET1' }, actor: borrowerActor() },
    { type: 'checkIn', actor: LIB2 },
  ],
  lost: [...shipped, { type: 'reportLost', data: { kind: 'lost' }, actor: borrowerActor() }],
  closed: [...networkCheck, { type: 'close', data: { reason: 'duplicate of REQ-0' }, actor: hubActor }],
};
