import type { Money, ServiceType } from '../commands';
import { DEFAULT_DAYS_TO_ANSWER_CANCEL, DEFAULT_DAYS_TO_SHIP, type Directory, type Library } from '../directory';
import type { RotaBuiltData, RotaCandidate, RotaEntry, RotaReason, RotaSkip } from '../events';
import { closureOn, utcDate } from './businessDays';
import { exceeds, formatMoney } from './costs';

/**
 * The rota (lender string) policy, pure. Every directory library gets an entry:
 * - skipped, with the reason: the borrower itself, a library that does not lend, a library
 *   closed on the day the rota is built, a library whose lending fee is above the request's
 *   maximum cost (a fee in another currency counts as above), or a candidate beyond `maxLenders`;
 * - otherwise a candidate, ordered: preferred lenders (in the borrower's order), then libraries
 *   in the delivery network, then those outside it, then lenders of last resort. Within each
 *   group the order rotates by a stable hash of (request id, library) to level the load.
 * `maxLenders` caps the regular candidates; lenders of last resort are always kept after them.
 * Candidates take positions 1..n; skipped entries follow, so they stay visible.
 */

export interface RotaInput {
  readonly requestId: string;
  readonly borrower: string;
  readonly serviceType: ServiceType;
  /** ISO time the rota is built (the command time): closures are checked on this day. */
  readonly time: string;
  readonly preferredLenders?: readonly string[];
  /** Default: the directory's maxLenders (10). */
  readonly maxLenders?: number;
  /** The request's maximum cost: a lender whose lending fee is above it is skipped. Absent: no fee check. */
  readonly maximumCost?: Money;
}

/** FNV-1a, 32 bit: stable across runs and platforms. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const GROUP_REASONS: readonly RotaReason[] = ['preferred by borrower', 'in delivery network', 'outside delivery network', 'lender of last resort'];

export function daysToRespondFor(library: Library, serviceType: ServiceType): number {
  return serviceType === 'Copy' ? library.daysToRespond.copy : library.daysToRespond.loan;
}

export function buildRota(directory: Directory, input: RotaInput): RotaEntry[] {
  const preferred = [...new Set(input.preferredLenders ?? [])];
  const maxLenders = input.maxLenders ?? directory.maxLenders;
  // The request's UTC date, once: a rota looks at every library of the directory.
  const day = utcDate(input.time);

  const ranked = directory.list().map((library) => {
    const preferredIndex = preferred.indexOf(library.code);
    const group = preferredIndex >= 0 ? 0 : library.lendingPolicy === 'lastResort' ? 3 : library.inDeliveryNetwork ? 1 : 2;
    const closure = library.closures.length === 0 ? undefined : closureOn(day, library.closures);
    const fee = library.lendingFee !== undefined && input.maximumCost ? directory.money(library.lendingFee) : undefined;
    const skip: RotaReason | null =
      library.code === input.borrower
        ? 'is the borrower'
        : library.lendingPolicy === 'doesNotLend'
          ? 'does not lend'
          : closure
            ? `closed ${closure.from}..${closure.to}: ${closure.reason}`
            : fee && input.maximumCost && exceeds(fee, input.maximumCost)
              ? `lending fee ${formatMoney(fee)} above the maximum ${formatMoney(input.maximumCost)}`
              : null;
    return { library, group, preferredIndex, hash: stableHash(`${input.requestId}:${library.code}`), skip };
  });
  ranked.sort(
    (a, b) =>
      a.group - b.group ||
      (a.group === 0 ? a.preferredIndex - b.preferredIndex : a.hash - b.hash) ||
      (a.library.code < b.library.code ? -1 : a.library.code > b.library.code ? 1 : 0),
  );

  let regular = 0;
  // Skipped entries say only who and why: a rota lists every library of the directory, and the
  // RotaBuilt event should not grow with what is never used. The borrower's own entry keeps its
  // closures (its answer deadlines skip them).
  const closuresOf = (r: (typeof ranked)[number]) => r.library.closures.map((c) => ({ from: c.from, to: c.to, reason: c.reason }));
  const entry = (r: (typeof ranked)[number], status: RotaEntry['status'], reason: RotaReason): Omit<RotaEntry, 'position'> =>
    status === 'candidate'
      ? {
          library: r.library.code,
          status,
          reason,
          daysToRespond: daysToRespondFor(r.library, input.serviceType),
          daysToShip: directory.daysToShip(r.library),
          daysToAnswerCancel: directory.daysToAnswerCancel(r.library),
          closures: closuresOf(r),
          lastResort: r.library.lendingPolicy === 'lastResort',
          ...(r.library.inDeliveryNetwork ? {} : { outsideNetwork: true }),
        }
      : r.library.code === input.borrower
        ? { library: r.library.code, status, reason, closures: closuresOf(r) }
        : { library: r.library.code, status, reason };
  const candidates: Omit<RotaEntry, 'position'>[] = [];
  const skipped: Omit<RotaEntry, 'position'>[] = [];
  for (const r of ranked) {
    if (r.skip) {
      skipped.push(entry(r, 'skipped', r.skip));
      continue;
    }
    const isLastResort = r.library.lendingPolicy === 'lastResort';
    if (!isLastResort && regular >= maxLenders) {
      skipped.push(entry(r, 'skipped', `over the maximum of ${maxLenders} lenders`));
      continue;
    }
    if (!isLastResort) regular++;
    candidates.push(entry(r, 'candidate', GROUP_REASONS[r.group] ?? 'outside delivery network'));
  }
  return [...candidates, ...skipped].map((e, i) => ({ position: i + 1, ...e }));
}

/**
 * What RotaBuilt (version 2) records of a rota `buildRota` made: the candidates in order with
 * their terms, the skipped libraries among `preferred` (all skipped ones when `preferred` is not
 * given: the version 1 upcaster, which cannot see the borrower's preferences; the fold keeps only
 * the preferred ones), and the borrower's closures.
 */
export function rotaBuiltData(entries: readonly RotaEntry[], preferred?: readonly string[]): RotaBuiltData {
  const sorted = [...entries].sort((a, b) => a.position - b.position);
  const candidates: RotaCandidate[] = sorted
    .filter((e) => e.status === 'candidate')
    .map((e) => ({
      library: e.library,
      daysToRespond: e.daysToRespond ?? 4,
      // Lender clocks: recorded only where they differ from the defaults a RotaBuilt without them folds with.
      ...(e.daysToShip !== undefined && e.daysToShip !== DEFAULT_DAYS_TO_SHIP ? { daysToShip: e.daysToShip } : {}),
      ...(e.daysToAnswerCancel !== undefined && e.daysToAnswerCancel !== DEFAULT_DAYS_TO_ANSWER_CANCEL ? { daysToAnswerCancel: e.daysToAnswerCancel } : {}),
      ...(e.closures?.length ? { closures: e.closures.map((c) => ({ from: c.from, to: c.to, reason: c.reason })) } : {}),
      ...(e.lastResort ? { lastResort: true as const } : {}),
      ...(e.outsideNetwork ? { outsideNetwork: true as const } : {}),
    }));
  const skipped: RotaSkip[] = sorted
    .filter((e) => e.status === 'skipped' && (preferred === undefined || preferred.includes(e.library)))
    .map((e) => ({ library: e.library, reason: e.reason ?? 'does not lend' }));
  const borrowerClosures = sorted.find((e) => e.status === 'skipped' && e.reason === 'is the borrower')?.closures ?? [];
  return {
    candidates,
    ...(skipped.length ? { skipped } : {}),
    ...(borrowerClosures.length ? { borrowerClosures: borrowerClosures.map((c) => ({ from: c.from, to: c.to, reason: c.reason })) } : {}),
  };
}
