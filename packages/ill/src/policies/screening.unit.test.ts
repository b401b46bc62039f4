import { screen } from './screening';
import type { MaterialFormat } from '../commands';

const request = (format: MaterialFormat, more: { serviceType?: 'Loan' | 'Copy' | 'CopyOrLoan'; flags?: ('rare' | 'reference' | 'genealogy' | 'newRelease' | 'bestseller')[] } = {}) => ({
  serviceType: more.serviceType ?? ('Loan' as const),
  material: { format, title: 'T', ...(more.flags ? { flags: more.flags } : {}) },
});

describe('screening', () => {
  it.each(['ebook', 'electronic'] as const)('rejects %s: not returnable', (format) => {
    expect(screen(request(format)).outcome).toBe('rejected');
  });

  it('rejects an e-book even when a copy is asked for', () => {
    expect(screen(request('ebook', { serviceType: 'Copy' })).outcome).toBe('rejected');
  });

  it.each(['article', 'chapter'] as const)('sends a %s to document delivery', (format) => {
    expect(screen(request(format, { serviceType: 'CopyOrLoan' }))).toEqual({ outcome: 'documentDelivery', reasons: [`${format} requests are copies`, 'handled by document delivery'] });
  });

  it('sends any Copy request to document delivery', () => {
    expect(screen(request('book', { serviceType: 'Copy' })).reasons).toEqual(['service type Copy', 'handled by document delivery']);
  });

  it('sends hard-to-borrow material to review with every reason', () => {
    expect(screen(request('software'))).toEqual({ outcome: 'needsReview', reasons: ['software is hard to borrow'] });
    expect(screen(request('periodicalIssue')).outcome).toBe('needsReview');
    expect(screen(request('book', { flags: ['rare', 'reference', 'rare'] }))).toEqual({ outcome: 'needsReview', reasons: ['flagged rare', 'flagged reference'] });
    expect(screen(request('score', { flags: ['genealogy'] })).outcome).toBe('needsReview');
    expect(screen(request('book', { flags: ['newRelease'] })).outcome).toBe('needsReview');
  });

  it.each(['book', 'audiovisual', 'microform', 'score', 'map', 'thesis', 'other'] as const)('sends a returnable %s to the network check', (format) => {
    expect(screen(request(format)).outcome).toBe('networkCheck');
  });
});
