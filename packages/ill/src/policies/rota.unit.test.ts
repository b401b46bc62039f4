import { parseDirectory, type DirectoryInput } from '../directory';
import { sampleDirectory, sampleDirectoryJson } from '../testing';
import { buildRota, rotaBuiltData, stableHash } from './rota';

const input = { requestId: 'REQ-1', borrower: 'LIB1', serviceType: 'Loan' as const, time: '2026-01-05T09:00:00.000Z' };
const libs = (n: number, more: Partial<DirectoryInput['libraries'][number]> = {}) =>
  Array.from({ length: n }, (_, i) => ({
    code: `L${String(i + 1).padStart(2, '0')}`,
    name: `L${i + 1}`,
    illCode: `I${i + 1}`,
    inDeliveryNetwork: true,
    lendingPolicy: 'lends' as const,
    maxShipping: 0,
    maxFees: 0,
    ...more,
  }));

describe('the rota', () => {
  it('gives every library an entry: candidates first, skipped ones after, with reasons', () => {
    const rota = buildRota(sampleDirectory(), { ...input, preferredLenders: ['LIB5'] });
    expect(rota.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rota.filter((e) => e.status === 'candidate').map((e) => [e.library, e.reason])).toEqual([
      ['LIB5', 'preferred by borrower'],
      ...rota.slice(1, 4).map((e) => [e.library, 'in delivery network']),
      ['LIB8', 'lender of last resort'],
    ]);
    expect(rota.slice(1, 4).map((e) => e.library).sort()).toEqual(['LIB2', 'LIB3', 'LIB4']);
    expect(rota.filter((e) => e.status === 'skipped').map((e) => [e.library, e.reason])).toEqual([
      ['LIB1', 'is the borrower'],
      ['LIB6', 'closed 2026-01-05..2026-01-16: inventory'],
      ['LIB7', 'does not lend'],
    ]);
    expect(rota.find((e) => e.library === 'LIB8')).toMatchObject({ lastResort: true, daysToRespond: 8 });
  });

  it('keeps the preferred order of the borrower, ahead of everything, even a lender of last resort', () => {
    const rota = buildRota(sampleDirectory(), { ...input, preferredLenders: ['LIB8', 'LIB4', 'LIB3'] });
    expect(rota.slice(0, 3).map((e) => e.library)).toEqual(['LIB8', 'LIB4', 'LIB3']);
    expect(rota[0]).toMatchObject({ reason: 'preferred by borrower', lastResort: true });
  });

  it('puts libraries outside the delivery network after those in it', () => {
    const rota = buildRota(sampleDirectory(), input);
    expect(rota.filter((e) => e.status === 'candidate').map((e) => e.reason)).toEqual(['in delivery network', 'in delivery network', 'in delivery network', 'outside delivery network', 'lender of last resort']);
  });

  it('skips a preferred lender that is closed, does not lend or is the borrower', () => {
    const rota = buildRota(sampleDirectory(), { ...input, preferredLenders: ['LIB6', 'LIB7', 'LIB1'] });
    expect(rota.filter((e) => ['LIB1', 'LIB6', 'LIB7'].includes(e.library)).every((e) => e.status === 'skipped')).toBe(true);
  });

  it('opens a closed library again once its closure is over', () => {
    const rota = buildRota(sampleDirectory(), { ...input, time: '2026-01-19T09:00:00.000Z' });
    expect(rota.find((e) => e.library === 'LIB6')).toMatchObject({ status: 'candidate', reason: 'in delivery network' });
    const holidays = buildRota(sampleDirectory(), { ...input, time: '2026-12-28T09:00:00.000Z' });
    expect(holidays.find((e) => e.library === 'LIB6')?.reason).toBe('closed 2026-12-24..2027-01-02: holidays');
  });

  it('uses the copy clock for copies', () => {
    const rota = buildRota(sampleDirectory(), { ...input, serviceType: 'Copy', preferredLenders: ['LIB3'] });
    expect(rota[0]).toMatchObject({ library: 'LIB3', daysToRespond: 1 });
  });

  it('rotates each group by a stable hash of request and library, levelling the load', () => {
    const directory = parseDirectory({ libraries: libs(6) });
    const a = buildRota(directory, { ...input, requestId: 'A' }).map((e) => e.library);
    expect(buildRota(directory, { ...input, requestId: 'A' }).map((e) => e.library)).toEqual(a);
    const firsts = new Set(Array.from({ length: 40 }, (_, i) => buildRota(directory, { ...input, requestId: `R${i}` })[0]!.library));
    expect(firsts.size).toBeGreaterThan(3);
    expect(stableHash('REQ-1:LIB2')).toBe(stableHash('REQ-1:LIB2'));
    expect(stableHash('a')).not.toBe(stableHash('b'));
  });

  it('caps the candidates at maxLenders, keeping the others visible as skipped, and lenders of last resort after them', () => {
    const directory = parseDirectory({ libraries: [...libs(12), { ...libs(1)[0]!, code: 'LR', lendingPolicy: 'lastResort' }] });
    const rota = buildRota(directory, { ...input, borrower: 'L01' });
    const candidates = rota.filter((e) => e.status === 'candidate');
    expect(candidates).toHaveLength(11);
    expect(candidates.at(-1)).toMatchObject({ library: 'LR', position: 11 });
    expect(rota.filter((e) => e.reason === 'over the maximum of 10 lenders')).toHaveLength(1);
    expect(rota).toHaveLength(13);
    expect(buildRota(directory, { ...input, borrower: 'L01', maxLenders: 2 }).filter((e) => e.status === 'candidate')).toHaveLength(3);
    const capped = parseDirectory({ ...sampleDirectoryJson(), maxLenders: 1 });
    expect(buildRota(capped, input).filter((e) => e.status === 'candidate').map((e) => e.reason)).toEqual(['in delivery network', 'lender of last resort']);
  });
});

describe('the rota and the request maximum cost (docs/workflow/costs.md)', () => {
  const fees = parseDirectory({
    currency: 'USD',
    libraries: [
      ...libs(1),
      { ...libs(1)[0]!, code: 'CHEAP', lendingFee: 5 },
      { ...libs(1)[0]!, code: 'DEAR', lendingFee: 25 },
      { ...libs(1)[0]!, code: 'FAR', inDeliveryNetwork: false, lendingFee: 20 },
    ],
  });
  const rota = (amount: number, currency = 'USD') => buildRota(fees, { ...input, borrower: 'L01', maximumCost: { amount, currency } });

  it('skips a lender whose lending fee is above the maximum, saying both amounts', () => {
    const entries = rota(20);
    expect(entries.filter((e) => e.status === 'candidate').map((e) => e.library)).toEqual(['CHEAP', 'FAR']);
    expect(entries.find((e) => e.library === 'DEAR')).toMatchObject({ status: 'skipped', reason: 'lending fee 25.00 USD above the maximum 20.00 USD' });
  });

  it('keeps a fee equal to the maximum, and every fee-charging lender when no maximum is given', () => {
    expect(rota(25).filter((e) => e.status === 'candidate').map((e) => e.library)).toEqual(['CHEAP', 'DEAR', 'FAR']);
    expect(buildRota(fees, { ...input, borrower: 'L01' }).filter((e) => e.status === 'skipped').map((e) => e.library)).toEqual(['L01']);
  });

  it('counts a fee in another currency than the maximum as above it', () => {
    expect(rota(100, 'EUR').filter((e) => e.status === 'skipped').map((e) => e.reason)).toEqual([
      'is the borrower',
      'lending fee 5.00 USD above the maximum 100.00 EUR',
      'lending fee 25.00 USD above the maximum 100.00 EUR',
      'lending fee 20.00 USD above the maximum 100.00 EUR',
    ]);
  });

  it('marks the candidates outside the delivery network, and RotaBuilt records it', () => {
    const entries = rota(25);
    expect(entries.find((e) => e.library === 'FAR')).toMatchObject({ status: 'candidate', outsideNetwork: true });
    expect(entries.find((e) => e.library === 'CHEAP')!.outsideNetwork).toBeUndefined();
    const data = rotaBuiltData(entries, ['DEAR']);
    expect(data.candidates.find((c) => c.library === 'FAR')).toEqual({ library: 'FAR', daysToRespond: 4, outsideNetwork: true });
    expect(data.candidates.find((c) => c.library === 'CHEAP')).toEqual({ library: 'CHEAP', daysToRespond: 4 });
    expect(rotaBuiltData(rota(20), ['DEAR']).skipped).toEqual([{ library: 'DEAR', reason: 'lending fee 25.00 USD above the maximum 20.00 USD' }]);
  });
});
