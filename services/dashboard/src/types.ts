/** The shapes the interlend API returns (see services/api and docs/dashboard.md). Only what the dashboard reads is typed. */

export type Role = 'borrowing' | 'lending' | 'hub' | 'auditor';

export interface Me {
  keyId: string;
  library: string;
  libraryName: string | null;
  role: Role;
  label: string | null;
}

export interface AppendedEvent {
  type: string;
  revision: number;
  position: number;
}

export interface CommandResult {
  requestId: string;
  commandId: string;
  duplicate: boolean;
  state: string;
  events: AppendedEvent[];
  allowed: string[];
}

export interface RequestListItem {
  requestId: string;
  state: string;
  borrower: string;
  lender: string | null;
  title: string | null;
  updatedAt: string;
}

export interface RequestList {
  items: RequestListItem[];
  next: string | null;
}

export interface Money {
  amount: number;
  currency: string;
}

export interface RotaEntry {
  position: number;
  library: string;
  status: string;
  /** Why it is on the rota or skipped: kept for preferred, skipped and last-resort lenders (docs/events.md). */
  reason?: string;
  requestedAt?: string | null;
  answeredAt?: string | null;
  lastAnswer?: string | null;
  outcome?: string | null;
}

export interface RequestContext {
  request?: { serviceType?: string; serviceLevel?: string; material?: { title?: string; author?: string; format?: string }; maximumCost?: Money; patronRef?: string } | null;
  submittedAt?: string | null;
  lender?: string | null;
  current?: number | null;
  [key: string]: unknown;
}

export interface RequestDetail {
  requestId: string;
  state: string;
  borrower: string;
  lender: string | null;
  context: RequestContext;
  costs: { maximum?: Money | null; offered?: Money | null; actual?: Money | null; consented?: Money | null } | null;
  rota: RotaEntry[];
  allowed: string[];
  revision: number;
}

export interface HistoryEvent {
  position: number;
  revision: number;
  type: string;
  /** When it happened (business time). */
  time: string;
  /** When it was recorded, only where that was later than `time` (docs/workflow/business-time.md). */
  recordedAt?: string;
  actor: { id: string; role: string } | string | null;
  stateBefore: string | null;
  stateAfter: string | null;
  data: unknown;
}

export interface RequestHistory {
  requestId: string;
  at: string | null;
  events: HistoryEvent[];
  state: string | null;
  context: RequestContext | null;
  laterEvents: number;
}

export interface QueueCount {
  library: string;
  role: string;
  queue: string;
  count: number;
}

export interface Queues {
  at: string;
  library: string | null;
  role: string | null;
  counts: QueueCount[];
  entries: { library: string; role: string; queue: string; requestIds: string[] }[];
}

export interface Stats {
  turnaround?: { under48h?: number; from48to72h?: number; over72h?: number; [key: string]: unknown };
  fillRateByLender?: { lender: string; asked: number; supplied: number; rate: number | null }[];
  [key: string]: unknown;
}

export interface DirectoryLibrary {
  code: string;
  name: string;
  [key: string]: unknown;
}

/** A `change` message of /v1/live. */
export interface LiveChange {
  position: number;
  /** Null for a change that is not a request's (a directory import). */
  requestId: string | null;
  eventType: string;
  time: string;
  state: string | null;
  borrower: string | null;
  lender: string | null;
  /** The lender the rota just left, if it did. */
  left?: string | null;
  /** The documents it changed: `request:<id>`, `queues:<LIB>`, `history:<LIB>`, `stats`, `directory`. */
  changed: string[];
}
