import type { Closure } from '../events';
import type { ServiceLevel } from '../commands';

/**
 * Business-day arithmetic, pure: days are UTC calendar days; Saturdays, Sundays and the days of
 * a library's closures (inclusive ranges) are not business days.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** Far enough for any real closure list; stops a closure covering years from looping forever. */
const MAX_SCAN_DAYS = 3660;

/** Service levels on the short clock: one business day to respond. */
export const RUSH_SERVICE_LEVELS: readonly ServiceLevel[] = ['Rush', 'Express', 'Urgent'];

/** The UTC calendar date (YYYY-MM-DD) of an ISO date or date-time. */
export function utcDate(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  return new Date(iso).toISOString().slice(0, 10);
}

/** The closure that covers a date, if any. */
export function closureOn(date: string, closures: readonly Closure[]): Closure | undefined {
  const day = utcDate(date);
  return closures.find((c) => c.from <= day && day <= c.to);
}

export function isWeekend(date: string): boolean {
  const weekday = new Date(`${utcDate(date)}T00:00:00.000Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
}

export function isBusinessDay(date: string, closures: readonly Closure[] = []): boolean {
  return !isWeekend(date) && !closureOn(date, closures);
}

/**
 * The instant `days` business days after `start`, at the same time of day: each following day
 * that is a business day counts one. Friday 09:00 + 1 = Monday 09:00; a closure Mon..Tue moves
 * it to Wednesday. `days` 0 returns `start`.
 */
export function addBusinessDays(start: string, days: number, closures: readonly Closure[] = []): string {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`business days must be a whole number >= 0, got ${days}`);
  const t0 = Date.parse(start);
  if (Number.isNaN(t0)) throw new RangeError(`not an ISO date-time: '${start}'`);
  let t = t0;
  let remaining = days;
  for (let scanned = 0; remaining > 0 && scanned < MAX_SCAN_DAYS; scanned++) {
    t += DAY_MS;
    if (isBusinessDay(new Date(t).toISOString(), closures)) remaining--;
  }
  return new Date(t).toISOString();
}

/** Days a lender has to respond: its directory value, or 1 for rush service levels. */
export function responseDays(daysToRespond: number, serviceLevel: ServiceLevel): number {
  return RUSH_SERVICE_LEVELS.includes(serviceLevel) ? 1 : daysToRespond;
}

/**
 * The instant a loan becomes overdue: a date-only due date is due through the end of that UTC day
 * (overdue from the next midnight); a date-time is taken as is.
 */
export function dueInstant(dueDate: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(dueDate)) return new Date(Date.parse(`${dueDate}T00:00:00.000Z`) + DAY_MS).toISOString();
  return new Date(dueDate).toISOString();
}

/** True when, at `time`, a loan due at `dueDate` is overdue. */
export function isPastDue(dueDate: string, time: string): boolean {
  return Date.parse(time) >= Date.parse(dueInstant(dueDate));
}
