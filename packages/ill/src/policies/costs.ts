import type { Money } from '../commands';

/** Cost arithmetic, pure. Amounts are compared in minor units (cents) to avoid float noise. */

export function toMinor(money: Money): number {
  return Math.round(money.amount * 100);
}

export function formatMoney(money: Money): string {
  return `${money.amount.toFixed(2)} ${money.currency}`;
}

export function sameMoney(a: Money | null | undefined, b: Money | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.currency === b.currency && toMinor(a) === toMinor(b);
}

/** True when `cost` is above `limit` (same currency expected; a different currency counts as above). */
export function exceeds(cost: Money, limit: Money): boolean {
  return cost.currency !== limit.currency || toMinor(cost) > toMinor(limit);
}

/** The most the borrower accepts now: the maximum cost, or a higher cost it consented to. */
export function costLimit(maximumCost: Money, consentedCost: Money | null): Money {
  if (consentedCost && consentedCost.currency === maximumCost.currency && toMinor(consentedCost) > toMinor(maximumCost)) return consentedCost;
  return maximumCost;
}

/** True when an offer (or none) needs no consent, or the consent covers it. */
export function offerAcceptable(offeredCost: Money | null, maximumCost: Money, consentedCost: Money | null): boolean {
  return !offeredCost || !exceeds(offeredCost, costLimit(maximumCost, consentedCost));
}

/** True when a shipment's cost is within what the borrower accepts. */
export function shipmentCostAllowed(cost: Money, maximumCost: Money, consentedCost: Money | null): boolean {
  return !exceeds(cost, costLimit(maximumCost, consentedCost));
}

/** True when an offer was made and the delivered cost differs from it. */
export function costDiffersFromOffer(offeredCost: Money | null, actualCost: Money): boolean {
  return offeredCost !== null && !sameMoney(offeredCost, actualCost);
}

/**
 * A library's maximum cost for one request, from its directory profile: maxShipping + maxFees, in
 * the directory's currency. A request states one maximum for shipping and fees together, so it is
 * compared with the sum (docs/workflow/costs.md).
 */
export function libraryMaximumCost(profile: { maxShipping: number; maxFees: number }, currency: string): Money {
  return { amount: (Math.round(profile.maxShipping * 100) + Math.round(profile.maxFees * 100)) / 100, currency };
}

/** Sums of money by currency (statistics): currency -> amount, rounded to cents. */
export function addToTotals(totals: Map<string, number>, money: Money | null | undefined): void {
  if (!money) return;
  totals.set(money.currency, (Math.round((totals.get(money.currency) ?? 0) * 100) + toMinor(money)) / 100);
}

/** Totals by currency as a sorted list of Money. */
export function totalsList(totals: ReadonlyMap<string, number>): Money[] {
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, amount]) => ({ amount, currency }));
}
