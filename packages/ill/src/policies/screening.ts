import type { MaterialFormat } from '../commands';
import type { RequestDetails } from '../events';

/** Where screening sends a new request. */
export type ScreeningOutcome = 'rejected' | 'documentDelivery' | 'needsReview' | 'networkCheck';

export interface ScreeningResult {
  outcome: ScreeningOutcome;
  /** Why, in words staff read in queues. */
  reasons: string[];
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
export function screen(request: Pick<RequestDetails, 'serviceType' | 'material'>): ScreeningResult {
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
  if (review.length) return { outcome: 'needsReview', reasons: review };
  return { outcome: 'networkCheck', reasons: [`returnable ${format}: try the borrower's own network first`] };
}
