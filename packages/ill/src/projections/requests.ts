import type { JsonObject, Projection, StoredEvent } from '@interlend/engine';
import { isTerminal } from '../events';
import { effectFacts, illMetadata, requestKey, trackCurrentLender, upcastIllEvent } from './storedIllEvent';

export const REQUESTS_PROJECTION = 'ill.requests';

/** One request as `interlend requests` lists it. */
export interface RequestDoc extends JsonObject {
  requestId: string;
  /** Library code of the borrowing library. */
  borrower: string;
  /** Flattened state after the latest event ('withLender.requested', 'onLoan.inUse', 'completed'). */
  state: string;
  title: string;
  format: string;
  serviceType: string;
  serviceLevel: string;
  /** The lender the request is with (the supplier once shipped); null before the rota and after it ended unfilled. */
  currentLender: string | null;
  /** The current lender's rota position. */
  position: number | null;
  submittedAt: string;
  /** Time of the latest event. */
  updatedAt: string;
  terminal: boolean;
}

function newRequestDoc(event: StoredEvent, time: string): RequestDoc {
  return {
    requestId: event.streamId,
    borrower: '',
    state: '',
    title: '',
    format: '',
    serviceType: '',
    serviceLevel: '',
    currentLender: null,
    position: null,
    submittedAt: time,
    updatedAt: time,
    terminal: false,
  };
}

export const requestStateIndex = (state: string): string => `state:${state}`;
export const requestBorrowerIndex = (code: string): string => `borrower:${code}`;
export const requestLenderIndex = (code: string): string => `lender:${code}`;

/**
 * The request list: one document per request (key = request id). Indexes: `state:<state>`,
 * `borrower:<code>`, `lender:<code>` (the current lender).
 */
export const requestsProjection: Projection<RequestDoc> = {
  name: REQUESTS_PROJECTION,
  version: 1,
  upcast: upcastIllEvent,
  keys: requestKey,
  apply(current, event) {
    const meta = illMetadata(event);
    if (!meta) return undefined;
    const doc = current ?? newRequestDoc(event, meta.time);
    if (event.type === 'RequestSubmitted') {
      const data = event.data as { borrower?: string; serviceType?: string; serviceLevel?: string; material?: { title?: string; format?: string } };
      doc.borrower = data.borrower ?? '';
      doc.title = data.material?.title ?? '';
      doc.format = data.material?.format ?? '';
      doc.serviceType = data.serviceType ?? '';
      doc.serviceLevel = data.serviceLevel ?? 'Normal';
      doc.submittedAt = meta.time;
    }
    trackCurrentLender(doc, event, meta, effectFacts(meta).asked);
    doc.state = meta.stateAfter;
    doc.terminal = isTerminal(meta.stateAfter);
    doc.updatedAt = meta.time;
    return doc;
  },
  index(doc) {
    const values = [requestStateIndex(doc.state), requestBorrowerIndex(doc.borrower)];
    if (doc.currentLender) values.push(requestLenderIndex(doc.currentLender));
    return values;
  },
};
