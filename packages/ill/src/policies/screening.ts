import type { MaterialFormat, Money } from '../commands';
import type { RequestDetails } from '../events';
import { exceeds, formatMoney } from './costs';

/** Where screening sends a new request. */
export type ScreeningOutcome = 'rejected' | 'documentDelivery' | 'needsReview' | 'networkCheck';

export interface ScreeningResult {
  outcome: ScreeningOutcome;
  /** Why, in words staff read in queues. */
  reasons: string[];
  /**
   * Present when the request's maximum cost is above its borrowing library's maximum (directory:
   * maxShipping + maxFees): `hubReview` sends it to needsReview, where only hub staff may approve
   * it; `hubSubmitted`: hub staff submitted it on the library's behalf, which approves it. Absent
   * in older events: nothing to approve.
   */
  overLibraryMaximum?: { libraryMaximum: Money; approval: 'hubReview' | 'hubSubmitted' };
}

/** The borrowing library's maximum cost, for the cost rule of screening; absent when the directory does not know the borrower. */
export interface CostScreeningInput {
  /** The borrowing library's code. */
  library: string;
  libraryMaximum: Money;
  /** True when hub staff submit (they may exceed the library's maximum). */
  byHub: boolean;
}

/** Formats we cannot lend and get back (the service lends only returnable items). */
export const NOT_RETURNABLE_FORMATS: readonly MaterialFormat[] = ['ebook', 'electronic'];
/** Formats served by the document-delivery service (copies). */
export const DOCUMENT_DELIVERY_FORMATS: readonly MaterialFormat[] = ['article', 'chapter'];
/** Formats that are hard to borrow: staff review them first. */
export const REVIEW_FORMATS: readonly MaterialFormat[] = ['software', 'periodicalIssue'];

/**
 * Screening policy, pure: not returnable -> rejected; article/chapter or a Copy request ->
 * document delivery; software, a whole periodical issue or any hard-to-borrow flag (rare,
 * reference, genealogy, new release, bestseller) -> staff review; everything else -> the
 * borrower's own network first.
 */
export function screen(request: Pick<RequestDetails, 'serviceType' | 'material'> & Partial<Pick<RequestDetails, 'maximumCost'>>, cost?: CostScreeningInput): ScreeningResult {
  const { format, flags = [] } = request.material;
  if (NOT_RETURNABLE_FORMATS.includes(format)) {
    return { outcome: 'rejected', reasons: [`${format} is not returnable: only returnable items can be borrowed`] };
  }
  const copyReasons: string[] = [];
  if (DOCUMENT_DELIVERY_FORMATS.includes(format)) copyReasons.push(`${format} requests are copies`);
  if (request.serviceType === 'Copy') copyReasons.push('service type Copy');
  if (copyReasons.length) return { outcome: 'documentDelivery', reasons: [...copyReasons, 'handled by document delivery'] };
  const review: string[] = [];
  if (REVIEW_FORMATS.includes(format)) review.push(`${format} is hard to borrow`);
  for (const flag of [...new Set(flags)]) review.push(`flagged ${flag}`);
  const over = request.maximumCost && cost ? overLibraryMaximum(request.maximumCost, cost) : undefined;
  if (over && !cost?.byHub) review.push(over.reason);
  const result: ScreeningResult = review.length
    ? { outcome: 'needsReview', reasons: review }
    : { outcome: 'networkCheck', reasons: [`returnable ${format}: try the borrower's own network first`, ...(over ? [over.reason] : [])] };
  if (over && cost) result.overLibraryMaximum = { libraryMaximum: { ...cost.libraryMaximum }, approval: cost.byHub ? 'hubSubmitted' : 'hubReview' };
  return result;
}

/**
 * The cost rule of screening: a maximum cost above the borrowing library's maximum (or in another
 * currency, which cannot be compared) needs hub approval; hub staff submitting may exceed it.
 */
function overLibraryMaximum(maximumCost: Money, cost: CostScreeningInput): { reason: string } | undefined {
  if (!exceeds(maximumCost, cost.libraryMaximum)) return undefined;
  const what =
    maximumCost.currency === cost.libraryMaximum.currency
      ? `maximum cost ${formatMoney(maximumCost)} is above ${cost.library}'s maximum ${formatMoney(cost.libraryMaximum)}`
      : `maximum cost ${formatMoney(maximumCost)} is not in the currency of ${cost.library}'s maximum ${formatMoney(cost.libraryMaximum)}`;
  return { reason: cost.byHub ? `${what}: submitted by hub staff, who may exceed it` : `${what}: hub staff must approve it` };
}
