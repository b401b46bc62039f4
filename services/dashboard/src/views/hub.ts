/** Hub staff's (and auditors') view across the member libraries: each library's queue counts, live. */
import { problemOf } from '../api';
import { errorBox, renderProblem } from '../forms';
import { debounce, formatTime, h, replace } from '../dom';
import type { App, View } from '../app';
import type { Queues } from '../types';

export function hubView(app: App): View {
  const error = errorBox();
  const table = h('div', { testid: 'hub-queues' }, h('p', { class: 'muted' }, 'Loading…'));
  const updated = h('p', { class: 'muted small' });

  async function load(): Promise<void> {
    try {
      const [queues, libraries] = await Promise.all([app.api.get<Queues>('/v1/queues'), app.directory().catch(() => [])]);
      renderProblem(error, undefined);
      const names = new Map(libraries.map((l) => [l.code, l.name]));
      const columns = [...new Set(queues.counts.map((c) => `${c.role}:${c.queue}`))];
      const codes = [...new Set([...libraries.map((l) => l.code), ...queues.counts.map((c) => c.library)])].sort();
      const count = new Map(queues.counts.map((c) => [`${c.library}|${c.role}:${c.queue}`, c.count]));
      replace(
        table,
        h(
          'table',
          { class: 'matrix' },
          h('caption', {}, 'Requests per queue and member library'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Library'), columns.map((c) => h('th', { scope: 'col', class: 'num' }, c.replace(':', ' · '))), h('th', { scope: 'col', class: 'num' }, 'Total'))),
          h(
            'tbody',
            {},
            codes.map((code) => {
              const cells = columns.map((c) => count.get(`${code}|${c}`) ?? 0);
              return h(
                'tr',
                { testid: `hub-row-${code}` },
                h('th', { scope: 'row' }, code, names.get(code) ? h('small', { class: 'muted' }, ` ${names.get(code)}`) : null),
                cells.map((n, i) => h('td', { class: n ? 'num' : 'num zero', testid: `hub-count-${code}-${columns[i]!.replace(':', '-')}` }, String(n))),
                h('td', { class: 'num total' }, String(cells.reduce((a, b) => a + b, 0))),
              );
            }),
          ),
        ),
      );
      updated.textContent = `as of ${formatTime(queues.at)}`;
    } catch (e) {
      renderProblem(error, problemOf(e));
    }
  }
  const reload = debounce(() => void load(), 150);
  void load();
  return {
    el: h('section', { 'aria-labelledby': 'hub-title', testid: 'hub-view' }, h('h2', { id: 'hub-title' }, 'All member libraries'), error, table, updated),
    onChange(change) {
      if (change.changed.some((c) => c.startsWith('queues:'))) reload();
    },
    onReady: reload,
  };
}
