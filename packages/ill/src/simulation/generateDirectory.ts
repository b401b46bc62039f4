import type { SeededRandom } from '@interlend/engine';

const PLACES = ['Ashford', 'Brookfield', 'Cedar Falls', 'Dunmore', 'Elmira', 'Fairview', 'Glenwood', 'Harlow', 'Ironton', 'Juniper', 'Kingsley', 'Lakeside', 'Millbrook', 'Northgate', 'Oakridge', 'Pinehurst', 'Quarry Hill', 'Riverton', 'Stonebridge', 'Thornbury', 'Upton', 'Valemount', 'Westbury', 'Yardley'];
const KINDS = ['Public Library', 'College Library', 'University Library', 'County Library', 'Historical Society', 'Memorial Library'];

/**
 * A seeded library directory for simulations: mostly lenders in the delivery network, some
 * outside it, one in ten not lending, at least one lender of last resort, and a few closures
 * falling inside the simulated weeks.
 */
export function generateDirectory(count: number, random: SeededRandom, start: Date): { libraries: unknown[] } {
  if (!Number.isInteger(count) || count < 3) throw new RangeError('a simulated directory needs at least 3 libraries');
  const day = (offset: number) => new Date(start.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const libraries = [];
  for (let i = 1; i <= count; i++) {
    const code = `LIB${String(i).padStart(3, '0')}`;
    const place = PLACES[(i - 1) % PLACES.length]!;
    const round = Math.floor((i - 1) / PLACES.length);
    const lendingPolicy = i === count ? 'lastResort' : i % 10 === 7 ? 'doesNotLend' : 'lends';
    const closures = random.chance(0.15) ? [{ from: day(random.int(0, 20)), to: '', reason: random.pick(['inventory', 'renovation', 'staff training', 'holiday']) }] : [];
    for (const c of closures) c.to = new Date(new Date(`${c.from}T00:00:00Z`).getTime() + random.int(1, 6) * 86_400_000).toISOString().slice(0, 10);
    const inDeliveryNetwork = random.chance(0.75);
    libraries.push({
      code,
      name: `${place} ${KINDS[(i + round) % KINDS.length]}${round ? ` ${round + 1}` : ''}`,
      illCode: `${place.replace(/[^A-Z]/g, '').padEnd(2, 'X')}${String(i).padStart(3, '0')}`,
      inDeliveryNetwork,
      lendingPolicy,
      daysToRespond: { loan: random.pick([1, 2, 4, 4, 4, 8]), copy: random.pick([1, 2, 2]) },
      maxShipping: random.pick([0, 10, 15, 25]),
      maxFees: random.pick([0, 10, 20, 50]),
      ...(random.chance(0.2) ? { lendingFee: random.pick([5, 10, 15]) } : {}),
      // Outside the delivery network the borrower owes the return shipping: a flat default.
      ...(inDeliveryNetwork ? {} : { returnShippingCost: 8 }),
      closures,
    });
  }
  return { libraries };
}
