import { addBusinessDays, closureOn, dueInstant, isBusinessDay, isPastDue, responseDays, utcDate } from './businessDays';

const holidays = [{ from: '2026-12-24', to: '2027-01-02', reason: 'holidays' }];

describe('business days', () => {
  it('counts four business days from a Monday to the Friday, same time of day', () => {
    expect(addBusinessDays('2026-01-05T09:30:00.000Z', 4)).toBe('2026-01-09T09:30:00.000Z');
  });

  it('skips the weekend', () => {
    expect(addBusinessDays('2026-01-09T16:00:00.000Z', 1)).toBe('2026-01-12T16:00:00.000Z'); // Fri -> Mon
    expect(addBusinessDays('2026-01-08T10:00:00.000Z', 4)).toBe('2026-01-14T10:00:00.000Z'); // Thu -> Wed
  });

  it('counts from a weekend start to the next business day', () => {
    expect(addBusinessDays('2026-01-10T12:00:00.000Z', 1)).toBe('2026-01-12T12:00:00.000Z'); // Sat -> Mon
  });

  it("skips the library's closure days", () => {
    expect(addBusinessDays('2026-12-23T09:00:00.000Z', 1, holidays)).toBe('2027-01-04T09:00:00.000Z');
    expect(addBusinessDays('2026-01-05T09:00:00.000Z', 2, [{ from: '2026-01-07', to: '2026-01-08', reason: 'training' }])).toBe('2026-01-09T09:00:00.000Z');
  });

  it('returns the start for zero days and refuses negative or fractional days', () => {
    expect(addBusinessDays('2026-01-05T09:00:00.000Z', 0)).toBe('2026-01-05T09:00:00.000Z');
    expect(() => addBusinessDays('2026-01-05T09:00:00.000Z', -1)).toThrow(RangeError);
    expect(() => addBusinessDays('2026-01-05T09:00:00.000Z', 1.5)).toThrow(RangeError);
    expect(() => addBusinessDays('soon', 1)).toThrow(/not an ISO date-time/);
  });

  it('stops scanning for a closure that never ends', () => {
    expect(() => addBusinessDays('2026-01-05T09:00:00.000Z', 1, [{ from: '2000-01-01', to: '2999-12-31', reason: 'gone' }])).not.toThrow();
  });

  it('knows weekends and closures', () => {
    expect(isBusinessDay('2026-01-05')).toBe(true);
    expect(isBusinessDay('2026-01-10')).toBe(false);
    expect(isBusinessDay('2026-12-28', holidays)).toBe(false);
    expect(closureOn('2027-01-02T23:00:00Z', holidays)).toEqual(holidays[0]);
    expect(closureOn('2027-01-03', holidays)).toBeUndefined();
    expect(utcDate('2026-01-05T23:30:00-02:00')).toBe('2026-01-06');
  });

  it('gives rush, express and urgent requests one day', () => {
    expect(responseDays(8, 'Rush')).toBe(1);
    expect(responseDays(8, 'Express')).toBe(1);
    expect(responseDays(8, 'Urgent')).toBe(1);
    expect(responseDays(8, 'Normal')).toBe(8);
    expect(responseDays(4, 'SecondaryMail')).toBe(4);
  });

  it('makes a date-only due date due through the end of that day', () => {
    expect(dueInstant('2026-02-05')).toBe('2026-02-06T00:00:00.000Z');
    expect(dueInstant('2026-02-05T12:00:00+01:00')).toBe('2026-02-05T11:00:00.000Z');
    expect(isPastDue('2026-02-05', '2026-02-05T23:59:59.999Z')).toBe(false);
    expect(isPastDue('2026-02-05', '2026-02-06T00:00:00.000Z')).toBe(true);
  });
});
