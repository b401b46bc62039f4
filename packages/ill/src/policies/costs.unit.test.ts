import { costDiffersFromOffer, costLimit, exceeds, formatMoney, offerAcceptable, sameMoney, shipmentCostAllowed, toMinor } from './costs';

const usd = (amount: number) => ({ amount, currency: 'USD' });

describe('costs', () => {
  it('compares in cents, free of float noise', () => {
    expect(toMinor(usd(0.1 + 0.2))).toBe(30);
    expect(sameMoney(usd(0.1 + 0.2), usd(0.3))).toBe(true);
    expect(exceeds(usd(25.004), usd(25))).toBe(false);
    expect(exceeds(usd(25.01), usd(25))).toBe(true);
  });

  it('treats another currency as above the limit', () => {
    expect(exceeds({ amount: 1, currency: 'EUR' }, usd(100))).toBe(true);
  });

  it('raises the limit to a consented higher cost only', () => {
    expect(costLimit(usd(25), null)).toEqual(usd(25));
    expect(costLimit(usd(25), usd(40))).toEqual(usd(40));
    expect(costLimit(usd(25), usd(10))).toEqual(usd(25));
  });

  it('accepts no offer, an offer within the maximum, or one covered by consent', () => {
    expect(offerAcceptable(null, usd(25), null)).toBe(true);
    expect(offerAcceptable(usd(25), usd(25), null)).toBe(true);
    expect(offerAcceptable(usd(30), usd(25), null)).toBe(false);
    expect(offerAcceptable(usd(30), usd(25), usd(30))).toBe(true);
  });

  it('lets a shipment through up to the limit', () => {
    expect(shipmentCostAllowed(usd(25), usd(25), null)).toBe(true);
    expect(shipmentCostAllowed(usd(26), usd(25), null)).toBe(false);
    expect(shipmentCostAllowed(usd(30), usd(25), usd(30))).toBe(true);
  });

  it('records a difference from the offer only when there was one', () => {
    expect(costDiffersFromOffer(null, usd(10))).toBe(false);
    expect(costDiffersFromOffer(usd(10), usd(10))).toBe(false);
    expect(costDiffersFromOffer(usd(10), usd(12))).toBe(true);
    expect(formatMoney(usd(7.5))).toBe('7.50 USD');
  });
});
