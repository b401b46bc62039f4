import { isValidationError } from '@interlend/engine';
import { LATEST_YEAR } from './commands';
import { jsonBytes, LIMITS, utf8Bytes } from './limits';
import { borrowerActor, hubActor, illSpec, lenderActor, sampleRequest, sampleShipment, STATE_STEPS, toFirstLender } from './testing';

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const withLender = STATE_STEPS['withLender.requested'];
const shipped = STATE_STEPS.shipped;

const repeat = (n: number, make: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => make(i));
/** Issue paths of a refused command. */
function pathsOf(error: unknown): string[] {
  if (!isValidationError(error)) throw new Error(`expected a ValidationError, got ${String(error)}`);
  return (error.details.issues as { path: string }[]).map((i) => i.path);
}

describe('utf8Bytes', () => {
  it('counts the UTF-8 bytes of ASCII, two-, three- and four-byte characters', () => {
    for (const text of ['', 'abc', 'é', '€', '𝄞', 'a€𝄞é\u0000', '\ud800x']) expect(utf8Bytes(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });
});

describe('limits on command fields', () => {
  it('takes 5 material flags (one of each) and refuses more, naming data.material.flags', () => {
    const flags = ['rare', 'reference', 'genealogy', 'newRelease', 'bestseller'] as const;
    illSpec().when({ type: 'submit', data: sampleRequest({ material: { format: 'book', title: 'T', flags: [...flags] } }), actor: BORROWER }).thenState('needsReview');
    const tooMany = illSpec().when({ type: 'submit', data: sampleRequest({ material: { format: 'book', title: 'T', flags: [...flags, 'rare'] } }), actor: BORROWER });
    tooMany.thenThrows('VALIDATION', 'data.material.flags');
    // the case of the issue: 200,000 flags made a 1.4 MB event
    const flood = illSpec().when({ type: 'submit', data: sampleRequest({ material: { format: 'book', title: 'T', flags: Array(200_000).fill('rare') } }), actor: BORROWER });
    flood.thenThrows('VALIDATION');
    expect((flood.error as Error).message.length).toBeLessThan(500);
  });

  it(`takes ${LIMITS.itemIds} item ids of ${LIMITS.shortText} characters in a shipment and refuses one more of either`, () => {
    const ids = repeat(LIMITS.itemIds, (i) => `${i}`.padStart(LIMITS.shortText, 'x'));
    illSpec(withLender).when({ type: 'ship', data: sampleShipment({ itemIds: ids }), actor: LIB2 }).thenState('shipped');

    const moreIds = illSpec(withLender).when({ type: 'ship', data: sampleShipment({ itemIds: [...ids, 'one-more'] }), actor: LIB2 });
    moreIds.thenThrows('VALIDATION', 'data.itemIds: Too big');
    expect(pathsOf(moreIds.error)).toEqual(['data.itemIds']);

    const longId = illSpec(withLender).when({ type: 'ship', data: sampleShipment({ itemIds: ['ok', 'y'.repeat(LIMITS.shortText + 1)] }), actor: LIB2 });
    expect(pathsOf(longId.error)).toEqual(['data.itemIds[1]']);
  });

  it(`refuses a due date after the year ${LATEST_YEAR} (its deadline could not be written), naming data.dueDate`, () => {
    illSpec(withLender).when({ type: 'ship', data: sampleShipment({ dueDate: `${LATEST_YEAR}-12-31` }), actor: LIB2 }).thenState('shipped');
    for (const dueDate of ['9999-12-31', '9999-12-31T23:00:00-05:00']) {
      const late = illSpec(withLender).when({ type: 'ship', data: sampleShipment({ dueDate }), actor: LIB2 });
      late.thenThrows('VALIDATION', `data.dueDate: must not be after the year ${LATEST_YEAR}`);
    }
  });

  it(`takes a note of ${LIMITS.note} characters and refuses one more, naming data.note`, () => {
    illSpec(shipped).when({ type: 'receive', data: { note: 'n'.repeat(LIMITS.note) }, actor: BORROWER }).thenState('onLoan.received');
    const refused = illSpec(shipped).when({ type: 'receive', data: { note: 'n'.repeat(LIMITS.note + 1) }, actor: BORROWER });
    expect(pathsOf(refused.error)).toEqual(['data.note']);
  });

  it(`takes ${LIMITS.conditions} shipment conditions and refuses more, naming data.conditions`, () => {
    illSpec(withLender).when({ type: 'ship', data: sampleShipment({ conditions: repeat(LIMITS.conditions, (i) => `c${i}`) }), actor: LIB2 }).thenState('shipped');
    const refused = illSpec(withLender).when({ type: 'ship', data: sampleShipment({ conditions: repeat(LIMITS.conditions + 1, (i) => `c${i}`) }), actor: LIB2 });
    expect(pathsOf(refused.error)).toEqual(['data.conditions']);
  });

  it(`refuses more than ${LIMITS.preferredLenders} preferred lenders and a library code over ${LIMITS.libraryCode} characters`, () => {
    const submitted = STATE_STEPS.networkCheck;
    const many = illSpec(submitted).when({ type: 'notAvailableLocally', data: { preferredLenders: Array(LIMITS.preferredLenders + 1).fill('LIB2') }, actor: BORROWER });
    expect(pathsOf(many.error)).toEqual(['data.preferredLenders']);
    const long = illSpec(submitted).when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB2', 'L'.repeat(LIMITS.libraryCode + 1)] }, actor: BORROWER });
    expect(pathsOf(long.error)).toEqual(['data.preferredLenders[1]']);
  });

  it('refuses control and bidi characters in library codes, naming the field', () => {
    for (const code of ['LIB\u001b[31m5', 'LIB5\u007f', 'LIB\u009b5', 'LIB\u202e5', 'LIB\u20665']) {
      const refused = illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: code }, actor: hubActor });
      refused.thenThrows('VALIDATION', 'data.receivedBy: must not contain control or bidi characters');
    }
    const preferred = illSpec(STATE_STEPS.networkCheck).when({ type: 'notAvailableLocally', data: { preferredLenders: ['LIB2\u001b'] }, actor: BORROWER });
    expect(pathsOf(preferred.error)).toEqual(['data.preferredLenders[0]']);
  });

  it('refuses control characters in the request a re-request names', () => {
    illSpec().when({ type: 'submit', data: sampleRequest({ relatedRequestId: 'REQ\u001b[2J' }), actor: BORROWER }).thenThrows('VALIDATION', 'data.relatedRequestId');
  });
});

describe("the limit on a whole command's data", () => {
  /** A shipment whose data is exactly `bytes` bytes of JSON, every field within its own limit (three-byte characters make it big). */
  function shipmentOf(bytes: number) {
    const base = sampleShipment({ itemIds: repeat(LIMITS.itemIds, (i) => `${i}`.padEnd(LIMITS.shortText, '€')), note: '' });
    const room = bytes - jsonBytes(base);
    const note = '€'.repeat(Math.floor(room / 3)) + 'n'.repeat(room % 3);
    if (room < 0 || note.length > LIMITS.note) throw new Error(`cannot make a shipment of ${bytes} bytes (room ${room})`);
    const data = { ...base, note };
    expect(jsonBytes(data)).toBe(bytes);
    return data;
  }
  const over = shipmentOf(LIMITS.commandDataBytes + 1);

  it(`takes data of exactly ${LIMITS.commandDataBytes} bytes of JSON`, () => {
    illSpec(withLender).when({ type: 'ship', data: shipmentOf(LIMITS.commandDataBytes), actor: LIB2 }).thenState('shipped');
  });

  it('refuses one byte more, naming data and the limit, though each field is within its own', () => {
    const refused = illSpec(withLender).when({ type: 'ship', data: over, actor: LIB2 });
    refused.thenThrows('VALIDATION', `data: is 65,537 bytes as JSON; a command's data may have at most 65,536`);
    expect(pathsOf(refused.error)).toEqual(['data']);
  });
});

describe('the id of a new request', () => {
  it(`may have ${LIMITS.requestId} characters, not more (re-request ids derive from it)`, () => {
    const steps = toFirstLender().slice(0, 1);
    expect(() => illSpec(steps, { requestId: 'R'.repeat(LIMITS.requestId) })).not.toThrow();
    illSpec([], { requestId: 'R'.repeat(LIMITS.requestId + 1) })
      .when({ type: 'submit', data: sampleRequest(), actor: BORROWER })
      .thenThrows('VALIDATION', `streamId: a request id may have at most ${LIMITS.requestId} characters, not ${LIMITS.requestId + 1}`);
  });

  it('may be longer on a re-request, which names the request it replaces', () => {
    const old = `${'R'.repeat(LIMITS.requestId)}`;
    illSpec([], { requestId: `${old}-r1` }).when({ type: 'submit', data: sampleRequest({ relatedRequestId: old }), actor: BORROWER }).thenState('networkCheck');
  });
});
