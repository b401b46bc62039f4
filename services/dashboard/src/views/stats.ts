/** Statistics (GET /v1/stats): turnaround in three buckets and fill rate per lender, as uPlot bar charts with tables. */
import { problemOf, query } from '../api';
import { errorBox, renderProblem } from '../forms';
import { debounce, h, replace } from '../dom';
import { barChart } from '../charts';
import { seesAll, type App, type View } from '../app';
import type { Stats } from '../types';

export function statsView(app: App): View {
  const error = errorBox();
  const charts = h('div', { class: 'charts' });
  const library = h('select', { id: 'stats-library', testid: 'stats-library' }, h('option', { value: seesAll(app.me) ? '' : app.me.library }, seesAll(app.me) ? 'all libraries' : app.me.library));
  if (seesAll(app.me)) {
    void app
      .directory()
      .then((libraries) => library.append(...libraries.map((l) => h('option', { value: l.code }, `${l.code} ${l.name}`))))
      .catch(() => undefined);
  }

  async function load(): Promise<void> {
    try {
      const stats = await app.api.get<Stats>(`/v1/stats${query({ library: library.value })}`);
      renderProblem(error, undefined);
      const t = stats.turnaround ?? {};
      const buckets = [
        { label: '< 48 h', value: Number(t.under48h ?? 0) },
        { label: '48–72 h', value: Number(t.from48to72h ?? 0) },
        { label: '> 72 h', value: Number(t.over72h ?? 0) },
      ];
      const lenders = stats.fillRateByLender ?? [];
      const turnaroundChart = h('figure', { testid: 'chart-turnaround' });
      const fillChart = h('figure', { testid: 'chart-fill-rate' });
      replace(charts, turnaroundChart, fillChart);
      barChart(turnaroundChart, 'Turnaround, request to receipt (requests)', buckets);
      turnaroundChart.append(
        h(
          'table',
          { class: 'chart-table', testid: 'turnaround-table' },
          h('caption', {}, 'Turnaround'),
          h('tbody', {}, buckets.map((b) => h('tr', {}, h('th', { scope: 'row' }, b.label), h('td', { class: 'num' }, String(b.value))))),
        ),
      );
      barChart(
        fillChart,
        'Fill rate per lender (%)',
        lenders.map((l) => ({ label: l.lender, value: Math.round((l.rate ?? 0) * 1000) / 10 })),
        { unit: '%', max: 100, color: '#4d8b31' },
      );
      fillChart.append(
        h(
          'table',
          { class: 'chart-table', testid: 'fill-rate-table' },
          h('caption', {}, 'Fill rate per lender'),
          h('thead', {}, h('tr', {}, ['Lender', 'Asked', 'Supplied', 'Rate'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            lenders.map((l) =>
              h('tr', {}, h('th', { scope: 'row' }, l.lender), h('td', { class: 'num' }, String(l.asked)), h('td', { class: 'num' }, String(l.supplied)), h('td', { class: 'num' }, l.rate === null ? '—' : `${(l.rate * 100).toFixed(1)} %`)),
            ),
          ),
        ),
      );
      if (!stats.turnaround) charts.prepend(h('p', { class: 'muted' }, 'The API sent no turnaround buckets.'));
    } catch (e) {
      renderProblem(error, problemOf(e));
    }
  }
  library.addEventListener('change', () => void load());
  const reload = debounce(() => void load(), 1000);
  void load();
  return {
    el: h('section', { 'aria-labelledby': 'stats-title', testid: 'stats-view' }, h('h2', { id: 'stats-title' }, 'Statistics'), h('label', { for: 'stats-library' }, 'Library '), library, error, charts),
    onChange(change) {
      if (change.changed.includes('stats')) reload();
    },
  };
}
