/**
 * Business time over HTTP: a command may say when it happened (the Occurred-At header); the
 * history shows both times, and refuses, naming the header, a time in the future or before the
 * request's previous event.
 */
import { sampleRequest } from '@interlend/ill/testing';
import { ApiHarness } from './__tests__/apiHarness';

let api: ApiHarness;
let lib1: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  lib1 = await api.key('LIB1', 'borrowing');
});
afterAll(() => api.close());

const HOUR = 3_600_000;
const hoursAgo = (hours: number): string => new Date(Date.now() - hours * HOUR).toISOString();

describe('Occurred-At', () => {
  it('records when it happened beside when it was recorded; the history shows both', async () => {
    const submittedAt = hoursAgo(30);
    const sentAt = hoursAgo(26);
    const submitted = await api.call('POST', '/v1/requests', { key: lib1, body: sampleRequest(), headers: { 'occurred-at': submittedAt } });
    expect(submitted.status).toBe(201);
    const id = submitted.body.requestId as string;
    const sent = await api.call('POST', `/v1/requests/${id}/commands/notAvailableLocally`, { key: lib1, body: { preferredLenders: ['LIB2'] }, headers: { 'occurred-at': sentAt } });
    expect(sent.status).toBe(200);

    const history = await api.call('GET', `/v1/requests/${id}/history`, { key: lib1 });
    expect(history.status).toBe(200);
    const events = history.body.events as { type: string; time: string; recordedAt?: string }[];
    expect(events[0]).toMatchObject({ type: 'RequestSubmitted', time: submittedAt, recordedAt: expect.any(String) });
    expect(Date.parse(events[0]!.recordedAt!)).toBeGreaterThan(Date.parse(submittedAt));
    for (const e of events.slice(1)) expect(e).toMatchObject({ time: sentAt, recordedAt: expect.any(String) });

    // ?at travels by record time: an hour ago the request had happened but was not recorded yet.
    const then = await api.call('GET', `/v1/requests/${id}/history?at=${encodeURIComponent(hoursAgo(1))}`, { key: lib1 });
    expect(then.body).toMatchObject({ events: [], state: 'not yet submitted', laterEvents: events.length });
  });

  it('refuses a time in the future, or before the previous event, naming headers.occurred-at; nothing is written', async () => {
    const id = await api.submit(lib1);
    for (const occurredAt of [new Date(Date.now() + HOUR).toISOString(), hoursAgo(48), 'yesterday']) {
      const before = await api.head();
      const res = await api.call('POST', `/v1/requests/${id}/commands/notAvailableLocally`, { key: lib1, body: {}, headers: { 'occurred-at': occurredAt } });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'VALIDATION' });
      expect(res.body.errors).toEqual([{ path: 'headers.occurred-at', message: expect.any(String) }]);
      expect(await api.head()).toBe(before);
    }
  });
});
