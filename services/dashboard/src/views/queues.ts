/** The sidebar: the library's queues (every library's, summed, for hub staff and auditors) with live counts. */
import { problemOf } from '../api';
import { renderProblem, errorBox } from '../forms';
import { debounce, formatTime, h, replace } from '../dom';
import { requestHash, seesAll, type App, type View } from '../app';
import type { Queues } from '../types';

const SHOWN_PER_QUEUE = 5;

export function queuesPanel(app: App): View {
  const all = seesAll(app.me);
  const body = h('div', { testid: 'queues' }, h('p', { class: 'muted' }, 'Loading…'));
  const updated = h('p', { class: 'muted small', testid: 'queues-updated' });
  const error = errorBox();
  const el = h('section', { class: 'queues', 'aria-labelledby': 'queues-title', testid: 'queues-panel' }, h('h2', { id: 'queues-title' }, all ? 'Queues, all libraries' : `Queues of ${app.me.library}`), error, body, updated);
  let previous = new Map<string, number>();

  async function load(): Promise<void> {
    try {
      const queues = await app.api.get<Queues>(all ? '/v1/queues' : `/v1/queues?library=${encodeURIComponent(app.me.library)}`);
      renderProblem(error, undefined);
      render(queues);
    } catch (e) {
      renderProblem(error, problemOf(e));
    }
  }

  function render(queues: Queues): void {
    const counts = new Map<string, { role: string; queue: string; count: number; ids: string[] }>();
    for (const c of queues.counts) {
      const key = `${c.role}:${c.queue}`;
      const row = counts.get(key) ?? { role: c.role, queue: c.queue, count: 0, ids: [] };
      row.count += c.count;
      counts.set(key, row);
    }
    for (const e of queues.entries ?? []) {
      const key = `${e.role}:${e.queue}`;
      const row = counts.get(key) ?? { role: e.role, queue: e.queue, count: e.requestIds.length, ids: [] };
      row.ids.push(...e.requestIds);
      counts.set(key, row);
    }
    const roles = [...new Set([...counts.values()].map((r) => r.role))];
    const next = new Map<string, number>();
    replace(
      body,
      roles.length === 0 ? h('p', { class: 'muted' }, 'No queues.') : null,
      roles.map((role) =>
        h(
          'div',
          { class: 'queue-role' },
          h('h3', {}, role === 'borrowing' ? 'Borrowing' : role === 'lending' ? 'Lending' : role),
          h(
            'ul',
            { class: 'queue-list' },
            [...counts.values()]
              .filter((r) => r.role === role)
              .map((r) => {
                const key = `${r.role}:${r.queue}`;
                next.set(key, r.count);
                const changed = previous.size > 0 && previous.get(key) !== r.count;
                return h(
                  'li',
                  { testid: `queue-${r.role}-${r.queue}`, class: changed ? 'changed' : null },
                  h('span', { class: 'queue-name' }, r.queue),
                  h('span', { class: 'count', testid: `queue-count-${r.role}-${r.queue}`, 'aria-label': `${r.count} requests` }, String(r.count)),
                  r.ids.length
                    ? h(
                        'ul',
                        { class: 'queue-entries' },
                        r.ids.slice(0, SHOWN_PER_QUEUE).map((id) => h('li', {}, h('a', { href: requestHash(id), testid: `queue-entry-${id}` }, id))),
                        r.ids.length > SHOWN_PER_QUEUE ? h('li', { class: 'muted' }, `and ${r.ids.length - SHOWN_PER_QUEUE} more`) : null,
                      )
                    : null,
                );
              }),
          ),
        ),
      ),
    );
    previous = next;
    updated.textContent = `as of ${formatTime(queues.at)}`;
  }

  const reload = debounce(() => void load(), 100);
  void load();
  return {
    el,
    onChange(change) {
      const mine = all || change.changed.includes(`queues:${app.me.library}`) || change.borrower === app.me.library || change.lender === app.me.library || change.left === app.me.library;
      if (mine) reload();
    },
    onReady: reload,
  };
}
