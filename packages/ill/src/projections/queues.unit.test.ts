import { projectInMemory } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { borrowerActor, illHistory, lenderActor, sampleShipment, toFirstLender } from '../testing';
import { QUEUE_TABLE, queueCounts, queueCountsOf, queueEntries, queueMemberships, queuesProjection, type QueueDoc } from './queues';

const T0 = '2026-01-05T09:00:00.000Z'; // Monday
const t = (hours: number): string => plusHours(T0, hours);

/** The queues of one request at `at`, as 'LIBRARY role: queue' lines. */
function queuesOf(log: EventLog, requestId: string, at = t(1)): string[] {
  const doc = projectInMemory(queuesProjection, log.events).get(requestId);
  if (!doc) throw new Error(`no queue doc for ${requestId}`);
  return queueMemberships(doc, { at }).map((e) => `${e.library} ${e.role}: ${e.queue}`);
}

function docsOf(log: EventLog): QueueDoc[] {
  return [...projectInMemory(queuesProjection, log.events).values()];
}

describe('queues projection: borrowing queues', () => {
  it('puts a request flagged by screening in "needs review" and takes it out when staff approve and it goes to lenders', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0), { stateAfter: 'needsReview' });
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: needs review']);
    r.approve(t(1));
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: needs review']);
    r.toLenders(t(2), ['LIB2', 'LIB3']);
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: new']);
  });

  it('keeps the borrower "awaiting lender answer" while the lender expects to supply, will supply or decides on a cancel', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).expectToSupply(t(2));
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: will supply (to pull)']);
    r.willSupply(t(3));
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: to ship']);
    r.cancel(t(4), 'patron left');
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: cancel requested']);
  });

  it('moves a conditional answer into "conditional answer awaiting us" and out again when the borrower accepts', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).conditional(t(2), { amount: 20, currency: 'USD' });
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: conditional answer awaiting us']);
    r.acceptConditions(t(3));
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: to ship']);
  });

  it('follows the item: in transit, received / in use, return in transit, then closed', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).willSupply(t(2)).ship(t(3));
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: in transit', 'LIB2 lending: on loan']);
    r.receive(t(30));
    expect(queuesOf(log, 'R1', t(31))).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
    r.checkOut(t(31));
    expect(queuesOf(log, 'R1', t(32))).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
    r.shipReturn(t(200));
    expect(queuesOf(log, 'R1', t(201))).toEqual(['LIB1 borrowing: return in transit', 'LIB2 lending: returned (to check in)']);
    r.checkIn(t(250));
    expect(queuesOf(log, 'R1', t(251))).toEqual(['LIB1 borrowing: closed']);
  });

  it('keeps a misdelivered item "in transit" for the borrower until it is rerouted and received', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).misdelivered(t(20), 'LIB5');
    expect(queuesOf(log, 'R1')).toEqual(['LIB1 borrowing: in transit', 'LIB2 lending: on loan']);
    r.rerouted(t(21), 'LIB5').receive(t(40));
    expect(queuesOf(log, 'R1', t(41))).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
  });

  it('adds "renewal pending" for the borrower and "renewal requested" for the lender until the lender answers', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).receive(t(30)).checkOut(t(31)).requestRenewal(t(100));
    expect(queuesOf(log, 'R1', t(101))).toEqual([
      'LIB1 borrowing: received / in use',
      'LIB1 borrowing: renewal pending',
      'LIB2 lending: on loan',
      'LIB2 lending: renewal requested',
    ]);
    r.denyRenewal(t(102));
    expect(queuesOf(log, 'R1', t(103))).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
  });

  it('adds "recalled (item due back)" for the borrower when the lender recalls, until the item is shipped back', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).receive(t(30)).recall(t(100));
    expect(queuesOf(log, 'R1', t(101))).toEqual(['LIB1 borrowing: received / in use', 'LIB1 borrowing: recalled (item due back)', 'LIB2 lending: on loan']);
    r.shipReturn(t(120));
    expect(queuesOf(log, 'R1', t(121))).toEqual(['LIB1 borrowing: return in transit', 'LIB2 lending: returned (to check in)']);
  });

  it('puts a request whose rota ended in "unfilled (to review)" and closes it when it is re-requested', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).cannotSupply(t(2)).timeout(t(100));
    expect(queuesOf(log, 'R1', t(101))).toEqual(['LIB1 borrowing: unfilled (to review)']);
    r.reRequest(t(102));
    expect(queuesOf(log, 'R1', t(103))).toEqual(['LIB1 borrowing: closed']);
  });

  it.each([
    ['rejected at screening', (l: EventLog) => l.request('R1').submit(t(0), { format: 'ebook', stateAfter: 'rejected' })],
    ['handed to document delivery', (l: EventLog) => l.request('R1').submit(t(0), { format: 'article', stateAfter: 'documentDelivery' })],
    ['filled locally', (l: EventLog) => l.request('R1').submit(t(0)).fillLocally(t(1))],
    ['cancelled before a lender', (l: EventLog) => l.request('R1').submit(t(0)).cancel(t(1), 'bought it')],
    ['cancelled at the lender', (l: EventLog) => l.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).cancel(t(2), 'no longer needed').acceptCancel(t(3))],
    ['lost', (l: EventLog) => l.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).lost(t(3))],
    ['closed by staff', (l: EventLog) => l.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).close(t(2), 'duplicate')],
    ['completed', (l: EventLog) => l.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).receive(t(3)).shipReturn(t(4)).checkIn(t(5))],
  ])('puts a request %s in the borrower\'s "closed" queue and in no lending queue', (_name, write) => {
    const log = new EventLog();
    write(log);
    expect(queuesOf(log, 'R1', t(10))).toEqual(['LIB1 borrowing: closed']);
  });
});

describe('queues projection: lending queues', () => {
  it('shows a request only to the current lender: the previous lender drops it when the rota moves on', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3', 'LIB4']);
    expect(queuesOf(log, 'R1')).toContain('LIB2 lending: new');
    r.cannotSupply(t(2));
    expect(queuesOf(log, 'R1', t(3))).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB3 lending: new']);
    r.timeout(t(100));
    expect(queuesOf(log, 'R1', t(101))).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB4 lending: new']);
    const lib2 = queueEntries(docsOf(log), { library: 'LIB2', at: t(101) });
    expect(lib2).toEqual([]);
  });

  it('adds "expiring today" to "new" on the day the lender\'s answer is due, and not the day before', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']); // asked Mon 10:00, due Fri 10:00 (4 days)
    const thursdayNoon = '2026-01-08T12:00:00.000Z';
    const fridayMorning = '2026-01-09T06:00:00.000Z';
    expect(queuesOf(log, 'R1', thursdayNoon)).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: new']);
    expect(queuesOf(log, 'R1', fridayMorning)).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: new', 'LIB2 lending: expiring today']);
  });

  it('counts days from the offset given: a deadline at 02:00 UTC is "today" on the evening before in New York', () => {
    const log = new EventLog();
    const r = log.request('R1');
    r.respondDays = 1;
    r.submit('2026-01-05T01:00:00.000Z').toLenders('2026-01-05T02:00:00.000Z', ['LIB2']); // due Tue 02:00 UTC = Mon 21:00 New York
    const doc = projectInMemory(queuesProjection, log.events).get('R1')!;
    const mondayEveningNewYork = '2026-01-05T23:00:00.000Z';
    expect(queueMemberships(doc, { at: mondayEveningNewYork }).map((e) => e.queue)).not.toContain('expiring today');
    expect(queueMemberships(doc, { at: mondayEveningNewYork, utcOffsetMinutes: -300 }).map((e) => e.queue)).toContain('expiring today');
  });

  it('drops "expiring today" once the lender answers', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).expectToSupply(t(2));
    expect(queuesOf(log, 'R1', '2026-01-09T06:00:00.000Z')).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: will supply (to pull)']);
  });

  it('returns a refused cancel to the queue it came from, and an accepted cancel that continues to the next lender', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).willSupply(t(2)).cancel(t(3), 'found elsewhere');
    expect(queuesOf(log, 'R1', t(4))).toContain('LIB2 lending: cancel requested');
    r.refuseCancel(t(5));
    expect(queuesOf(log, 'R1', t(6))).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB2 lending: to ship']);
    r.cancel(t(7), 'try the next one', true).acceptCancel(t(8), true);
    expect(queuesOf(log, 'R1', t(9))).toEqual(['LIB1 borrowing: awaiting lender answer', 'LIB3 lending: new']);
  });

  it('adds "overdue" for both sides when the due-date timer fires, and removes it when a renewal is granted', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2), { dueDate: '2026-01-20' }).receive(t(30)).checkOut(t(31));
    r.overdue('2026-01-21T00:00:00.000Z');
    const after = '2026-01-21T08:00:00.000Z';
    expect(queuesOf(log, 'R1', after)).toEqual(['LIB1 borrowing: received / in use', 'LIB1 borrowing: overdue', 'LIB2 lending: on loan', 'LIB2 lending: overdue']);
    r.requestRenewal('2026-01-21T09:00:00.000Z').grantRenewal('2026-01-21T10:00:00.000Z', '2026-02-10');
    expect(queuesOf(log, 'R1', '2026-01-22T00:00:00.000Z')).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
  });

  it('shows a loan as "overdue" from its due instant, before the timer has fired', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2), { dueDate: '2026-01-20' }).receive(t(30)).requestRenewal(t(40));
    const doc = projectInMemory(queuesProjection, log.events).get('R1')!;
    const queuesAt = (at: string) => queueMemberships(doc, { at }).map((e) => `${e.library} ${e.queue}`);
    expect(queuesAt('2026-01-20T23:59:59.000Z')).not.toContain('LIB1 overdue');
    expect(queuesAt('2026-01-21T00:00:00.000Z')).toEqual(['LIB1 received / in use', 'LIB1 renewal pending', 'LIB2 on loan', 'LIB2 renewal requested', 'LIB1 overdue', 'LIB2 overdue']);
  });
});

describe('queues projection: aging (time-dependent borrowing queues)', () => {
  it('adds "not received" beside "in transit" 14 days after a loan was shipped, and drops both on receipt', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2));
    expect(queuesOf(log, 'R1', t(2 + 14 * 24 - 1))).toEqual(['LIB1 borrowing: in transit', 'LIB2 lending: on loan']);
    expect(queuesOf(log, 'R1', t(2 + 14 * 24))).toEqual(['LIB1 borrowing: in transit', 'LIB2 lending: on loan', 'LIB1 borrowing: not received']);
    r.receive(t(2 + 15 * 24));
    expect(queuesOf(log, 'R1', t(2 + 16 * 24))).toEqual(['LIB1 borrowing: received / in use', 'LIB2 lending: on loan']);
  });

  it('chases a copy after 7 days', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0), { serviceType: 'Copy' }).toLenders(t(1), ['LIB2']).ship(t(2));
    expect(queuesOf(log, 'R1', t(2 + 7 * 24 - 1))).not.toContain('LIB1 borrowing: not received');
    expect(queuesOf(log, 'R1', t(2 + 7 * 24))).toContain('LIB1 borrowing: not received');
  });

  it('adds "returned / complete?" 30 days after the return was shipped and the lender has not checked it in', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2)).receive(t(30)).checkOut(t(31)).shipReturn(t(200));
    expect(queuesOf(log, 'R1', t(200 + 30 * 24 - 1))).toEqual(['LIB1 borrowing: return in transit', 'LIB2 lending: returned (to check in)']);
    expect(queuesOf(log, 'R1', t(200 + 30 * 24))).toEqual(['LIB1 borrowing: return in transit', 'LIB2 lending: returned (to check in)', 'LIB1 borrowing: returned / complete?']);
    r.checkIn(t(200 + 31 * 24));
    expect(queuesOf(log, 'R1', t(200 + 32 * 24))).toEqual(['LIB1 borrowing: closed']);
  });

  it('lists the aging queues in display order, right after the queue they age in', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2));
    const counts = queueCounts(docsOf(log), { library: 'LIB1', role: 'borrowing', at: t(2 + 20 * 24) }).map((c) => `${c.queue}=${c.count}`);
    expect(counts.slice(4, 6)).toEqual(['in transit=1', 'not received=1']);
    expect(counts).toContain('returned / complete?=0');
    expect(counts.indexOf('returned / complete?=0')).toBe(counts.indexOf('return in transit=0') + 1);
  });
});

describe('queue helpers', () => {
  function sampleLog(): EventLog {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']); // LIB2 new, due Fri 10:00
    log.request('R2').submit(t(0)).toLenders(t(1), ['LIB2']).willSupply(t(2));
    log.request('R3', 'LIB4').submit(t(0)).toLenders(t(1), ['LIB3', 'LIB2']).cannotSupply(t(50)); // LIB2 new, due Sun 11:00
    log.request('R4').submit(t(0), { stateAfter: 'needsReview' });
    return log;
  }

  it('lists the request ids of each library queue at a given time, libraries in order and queues in display order', () => {
    const friday = '2026-01-09T08:00:00.000Z';
    expect(queueEntries(docsOf(sampleLog()), { at: friday })).toEqual([
      { library: 'LIB1', role: 'borrowing', queue: 'needs review', requestIds: ['R4'] },
      { library: 'LIB1', role: 'borrowing', queue: 'awaiting lender answer', requestIds: ['R1', 'R2'] },
      { library: 'LIB2', role: 'lending', queue: 'new', requestIds: ['R1', 'R3'] },
      { library: 'LIB2', role: 'lending', queue: 'expiring today', requestIds: ['R1'] },
      { library: 'LIB2', role: 'lending', queue: 'to ship', requestIds: ['R2'] },
      { library: 'LIB4', role: 'borrowing', queue: 'awaiting lender answer', requestIds: ['R3'] },
    ]);
  });

  it('counts every queue of one library and role, empty ones with 0, and the expiring ones change with the day asked', () => {
    const docs = docsOf(sampleLog());
    const counts = (at: string) => Object.fromEntries(queueCounts(docs, { library: 'LIB2', role: 'lending', at }).map((c) => [c.queue, c.count]));
    expect(counts('2026-01-09T08:00:00.000Z')).toEqual({
      new: 2,
      'expiring today': 1,
      'will supply (to pull)': 0,
      'to ship': 1,
      'cancel requested': 0,
      'renewal requested': 0,
      'on loan': 0,
      overdue: 0,
      'returned (to check in)': 0,
    });
    expect(counts('2026-01-10T08:00:00.000Z')['expiring today']).toBe(1); // R1's deadline passed, not yet timed out
    expect(counts('2026-01-11T08:00:00.000Z')['expiring today']).toBe(2);
    expect(counts('2026-01-06T08:00:00.000Z')['expiring today']).toBe(0);
  });

  it('counts from the listings of one pass the same as from the documents, for one library and for all', () => {
    const docs = docsOf(sampleLog());
    for (const filter of [{ at: '2026-01-09T08:00:00.000Z' }, { at: '2026-01-11T08:00:00.000Z', library: 'LIB2' }, { at: '2026-01-09T08:00:00.000Z', library: 'LIB1', role: 'borrowing' as const }]) {
      expect(queueCountsOf(queueEntries(docs, filter), filter)).toEqual(queueCounts(docs, filter));
    }
  });

  it('indexes a queue document by every library that has an entry, by each queue it is in, and as open while not terminal', () => {
    const docs = projectInMemory(queuesProjection, sampleLog().events);
    expect(queuesProjection.index!(docs.get('R3')!, 'R3')).toEqual([
      'open',
      'library:LIB4',
      'open:LIB4',
      'queue:LIB4:borrowing:awaiting lender answer',
      'library:LIB2',
      'open:LIB2',
      'queue:LIB2:lending:new',
    ]);
    expect(queuesProjection.index!(docs.get('R4')!, 'R4')).toEqual(['open', 'library:LIB1', 'open:LIB1', 'queue:LIB1:borrowing:needs review']);
  });

  it('maps every terminal state to the borrower\'s "closed" queue, but unfilled to "unfilled (to review)"', () => {
    const terminal = ['rejected', 'documentDelivery', 'filledLocally', 'reRequested', 'cancelled', 'completed', 'lost', 'closed'] as const;
    for (const state of terminal) expect(QUEUE_TABLE[state]).toEqual({ borrowing: ['closed'], lending: [] });
    expect(QUEUE_TABLE.unfilled).toEqual({ borrowing: ['unfilled (to review)'], lending: [] });
  });
});

describe('queues projection: lender clocks ("lender overdue", docs/workflow/lender-clocks.md)', () => {
  /** The borrower's queues of the sample request after real commands (the pure command path). */
  const borrowerQueues = (steps: Parameters<typeof illHistory>[0]): string[] => {
    const history = illHistory(steps);
    const doc = projectInMemory(queuesProjection, history.stored).get('REQ-1')!;
    const at = history.events.at(-1)!.time;
    return queueMemberships(doc, { at })
      .filter((e) => e.role === 'borrowing')
      .map((e) => e.queue);
  };
  const LIB2 = lenderActor('LIB2');
  const willSupply = [...toFirstLender(), { type: 'willSupply' as const, actor: LIB2 }];
  const cancel = { type: 'cancel' as const, data: { reason: 'patron left' }, actor: borrowerActor() };

  it('is not entered while the clock runs', () => {
    expect(borrowerQueues(willSupply)).toEqual(['awaiting lender answer']);
  });

  it('holds a request whose supply clock fell due, for its borrower, while it stays with the lender', () => {
    expect(borrowerQueues([...willSupply, { deadline: 'supply' }])).toEqual(['awaiting lender answer', 'lender overdue']);
    // Still there while a cancel is pending and after the lender refuses it.
    expect(borrowerQueues([...willSupply, { deadline: 'supply' }, cancel])).toEqual(['awaiting lender answer', 'lender overdue']);
    expect(borrowerQueues([...willSupply, { deadline: 'supply' }, cancel, { type: 'refuseCancel', actor: LIB2 }])).toEqual(['awaiting lender answer', 'lender overdue']);
  });

  it('holds a request whose cancel went unanswered, until the lender answers', () => {
    expect(borrowerQueues([...willSupply, cancel, { deadline: 'cancelAnswer' }])).toEqual(['awaiting lender answer', 'lender overdue']);
    expect(borrowerQueues([...willSupply, cancel, { deadline: 'cancelAnswer' }, { type: 'refuseCancel', actor: LIB2 }])).toEqual(['awaiting lender answer']);
  });

  it('lets it go when the lender ships, answers again, or staff withdraw and move on', () => {
    const due = [...willSupply, { deadline: 'supply' as const }];
    expect(borrowerQueues([...due, { type: 'ship', data: sampleShipment(), actor: LIB2 }])).toEqual(['in transit']);
    expect(borrowerQueues([...due, { type: 'answerConditional', data: { condition: 'LibraryUseOnly' }, actor: LIB2 }])).toEqual(['conditional answer awaiting us']);
    expect(borrowerQueues([...due, { type: 'withdrawFromLender', data: { reason: 'gone quiet' }, actor: borrowerActor() }])).toEqual(['awaiting lender answer']);
  });

  it('lists it right after the queues a request waits for its lender in, and counts it for the hub across libraries', () => {
    const history = illHistory([...willSupply, { deadline: 'supply' }]);
    const docs = [...projectInMemory(queuesProjection, history.stored).values()];
    const at = history.events.at(-1)!.time;
    const names = queueCounts(docs, { library: 'LIB1', role: 'borrowing', at }).map((c) => c.queue);
    expect(names.indexOf('lender overdue')).toBe(names.indexOf('conditional answer awaiting us') + 1);
    expect(queueEntries(docs, { at, queue: 'lender overdue' })).toEqual([{ library: 'LIB1', role: 'borrowing', queue: 'lender overdue', requestIds: ['REQ-1'] }]);
  });
});
