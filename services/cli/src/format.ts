import { upcastEvent, type StoredEvent } from '@interlend/engine';
import { illRequestWorkflow, INITIAL_ILL_STATE, type RotaBuiltData } from '@interlend/ill';

/** '2026-01-05T09:10:00.000Z' -> '2026-01-05 09:10Z'. */
export const shortTime = (iso: string): string => (iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : iso);

/** Left-aligned columns, widths from the content. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Compact one-line JSON of an event's data, without the fields the timeline already shows. */
export function compactData(data: unknown, max = 160): string {
  const text = JSON.stringify(data);
  if (!text || text === '{}') return '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface HistoryRow {
  position: number;
  revision: number;
  type: string;
  /** When it happened (business time). */
  time: string;
  /** When it was recorded, only where that differs from `time` (the command said it happened earlier). */
  recordedAt?: string;
  actor: { id: string; role: string };
  commandId: string;
  stateBefore: string;
  stateAfter: string;
  effects: unknown[];
  data: unknown;
}

/**
 * One event of a request's history, as read: in its current shape (upcast), with the state before
 * it, which is not stored since schema versions (docs/events.md) but is the state after the event
 * before it. Pass the events in stream order from the first (`events.map(historyRow)` does).
 */
export function historyRow(stored: StoredEvent, index = 0, all: readonly StoredEvent[] = [stored]): HistoryRow {
  const e = upcastEvent(illRequestWorkflow.events, stored);
  const m = e.metadata as Record<string, unknown>;
  const previous = index > 0 ? all[index - 1] : undefined;
  const stateBefore = typeof m.stateBefore === 'string' ? m.stateBefore : previous ? String(previous.metadata.stateAfter) : e.revision === 0 ? INITIAL_ILL_STATE : 'unknown';
  return {
    position: e.position,
    revision: e.revision,
    type: e.type,
    time: String(m.time),
    ...(typeof m.recordedAt === 'string' ? { recordedAt: m.recordedAt } : {}),
    actor: m.actor as { id: string; role: string },
    commandId: String(m.commandId),
    stateBefore,
    stateAfter: String(m.stateAfter),
    effects: (m.effects as unknown[]) ?? [],
    data: e.data,
  };
}

/** When an event happened, and when it was recorded where that differs: '2026-03-06 14:30Z (recorded 2026-03-09 09:12Z)'. */
export function eventTimes(row: { time: string; recordedAt?: string }): string {
  return row.recordedAt === undefined || row.recordedAt === row.time ? shortTime(row.time) : `${shortTime(row.time)} (recorded ${shortTime(row.recordedAt)})`;
}

/** A readable timeline: one block per event. */
export function timeline(rows: readonly HistoryRow[]): string {
  const out: string[] = [];
  // One column for the times: as wide as the widest, which shows a record time beside its business time.
  const timeWidth = Math.max(0, ...rows.map((r) => eventTimes(r).length));
  for (const r of rows) {
    const who = `${r.actor.id} (${r.actor.role})`;
    const transition = r.stateBefore === r.stateAfter ? r.stateAfter : `${r.stateBefore} -> ${r.stateAfter}`;
    // #N: the event's number in the request; @P: its position in the global log.
    out.push(`#${String(r.revision + 1).padEnd(3)} @${String(r.position).padEnd(7)} ${eventTimes(r).padEnd(timeWidth)}  ${r.type.padEnd(24)} by ${who.padEnd(22)} ${transition}`);
    const data = r.type === 'RotaBuilt' ? describeRota(r.data) : compactData(r.data, 2_000);
    if (data) out.push(`      ${data}`);
    const effects = r.effects.map((e) => (e as { type: string }).type).filter((t) => t !== 'cancelDeadline');
    if (effects.length) out.push(`      effects: ${effects.join(', ')}`);
  }
  return out.join('\n');
}

/** A RotaBuilt payload in a line: the lenders in order, then the preferred libraries skipped and why (the JSON view has it all). */
function describeRota(data: unknown): string {
  const rota = data as RotaBuiltData;
  const candidates = (rota.candidates ?? []).map((c, i) => `${i + 1} ${c.library}${c.lastResort ? ' (lender of last resort)' : ''}`);
  const skipped = new Map<string, string[]>();
  for (const e of rota.skipped ?? []) skipped.set(e.reason, [...(skipped.get(e.reason) ?? []), e.library]);
  const why = [...skipped].map(([reason, libs]) => `${reason}: ${libs.join(' ')}`);
  return `rota: ${candidates.join(', ') || 'no lender'}${why.length ? `; skipped: ${why.join('; ')}` : ''}`;
}
