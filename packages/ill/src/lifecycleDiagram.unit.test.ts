import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lifecycleMarkdown } from './lifecycleDiagram';

describe('docs/lifecycle.md', () => {
  it('is the diagram generated from the current machine (run `npm run docs:lifecycle` after changing the machine)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'lifecycle.md'), 'utf8');
    expect(committed).toBe(lifecycleMarkdown());
  });

  it('shows every state and the transitions between them', () => {
    const md = lifecycleMarkdown();
    for (const state of ['needsReview', 'networkCheck', 'requested', 'conditional', 'cancelPending', 'shipped', 'misdelivered', 'renewalPending', 'overdue', 'recalled', 'returnShipped', 'completed', 'unfilled']) {
      expect(md).toContain(`"${state}"`);
    }
    expect(md).toMatch(/withLender --> shipped: Shipped/);
    expect(md).toMatch(/withLender_requested --> nextLender: LenderTimedOut/);
  });
});
