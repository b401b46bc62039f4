import { toMermaid } from '@interlend/engine';
import { illMachine } from './machine';

/** The Markdown of docs/lifecycle.md: the request statechart, generated from the machine itself. */
export function lifecycleMarkdown(): string {
  return [
    '# The lifecycle of an ILL request',
    '',
    '<!-- Generated from the machine by `npm run docs:lifecycle`; a test fails when this file is stale. -->',
    '',
    'Every box is a state of `illMachine` (packages/ill/src/machine.ts); every arrow is an event that the',
    'machine accepts there, labelled with its guard where it has one. `always` arrows are taken at once',
    '(screening, moving to the next lender). Terminal states: rejected, documentDelivery, filledLocally,',
    'unfilled (staff may still re-request or close it), reRequested, cancelled, completed, wrongItemReturned',
    '(the wrong item went back: not a fill), lost, closed.',
    'Commands, who may send them and the events they produce are in [domain.md](domain.md).',
    '',
    '```mermaid',
    toMermaid(illMachine).trimEnd(),
    '```',
    '',
  ].join('\n');
}
