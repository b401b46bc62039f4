import type { CommandInput } from '@interlend/engine';
import type { IllCommandInput } from '@interlend/ill';
import { sampleRequest, sampleShipment } from '@interlend/ill/testing';

/**
 * The commands of one request's happy path, from submission to check-in (8 commands, 9 events):
 * the workload of the benches. Command ids are `<request>:<type><commandSuffix>`; `shipment`
 * overrides fields of the sample shipment (a due date after the system clock's now, say).
 */
export function happyPath(requestId: string, options: { readonly commandSuffix?: string; readonly shipment?: Partial<IllCommandInput['ship']> } = {}): CommandInput[] {
  const suffix = options.commandSuffix ?? '';
  const c = (type: string, actor: { id: string; role: string }, data: unknown = {}): CommandInput => ({ commandId: `${requestId}:${type}${suffix}`, streamId: requestId, type, data, actor });
  const borrower = { id: 'LIB1', role: 'borrowing' };
  const lender = { id: 'LIB2', role: 'lending' };
  return [
    c('submit', borrower, sampleRequest()),
    c('notAvailableLocally', borrower, { preferredLenders: ['LIB2'] }),
    c('willSupply', lender),
    c('ship', lender, sampleShipment(options.shipment)),
    c('receive', borrower),
    c('checkOutToPatron', borrower),
    c('shipReturn', borrower),
    c('checkIn', lender),
  ];
}
