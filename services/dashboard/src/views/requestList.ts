/** The request list: filters by state and side, pages with the API's cursor, and refreshes on live changes. */
import { STATE_NAMES } from '@interlend/ill';
import { problemOf, query } from '../api';
import { errorBox, renderProblem } from '../forms';
import { debounce, formatTime, h, replace } from '../dom';
import { requestHash, type App, type View } from '../app';
import type { RequestList } from '../types';

export function requestListView(app: App): View {
  const state = h('select', { id: 'filter-state', testid: 'filter-state' }, h('option', { value: '' }, 'any'), STATE_NAMES.map((s) => h('option', { value: s }, s)));
  const role = h('select', { id: 'filter-role', testid: 'filter-role' }, h('option', { value: '' }, 'any'), h('option', { value: 'borrowing' }, 'as borrower'), h('option', { value: 'lending' }, 'as lender'));
  const error = errorBox();
  const tbody = h('tbody', {});
  const pager = h('div', { class: 'pager' });
  const cursors: (string | null)[] = [null];
  let page = 0;

  async function load(): Promise<void> {
    try {
      const list = await app.api.get<RequestList>(`/v1/requests${query({ state: state.value, role: role.value, limit: 25, cursor: cursors[page] })}`);
      renderProblem(error, undefined);
      cursors[page + 1] = list.next;
      replace(
        tbody,
        list.items.length === 0 ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No requests.')) : null,
        list.items.map((r) =>
          h(
            'tr',
            { testid: `request-row-${r.requestId}` },
            h('td', {}, h('a', { href: requestHash(r.requestId) }, r.requestId)),
            h('td', {}, r.title ?? '—'),
            h('td', { testid: 'row-state' }, r.state),
            h('td', {}, r.borrower),
            h('td', {}, r.lender ?? '—'),
            h('td', {}, formatTime(r.updatedAt)),
          ),
        ),
      );
      replace(
        pager,
        h('button', { type: 'button', disabled: page === 0, onclick: () => ((page -= 1), void load()) }, 'Previous'),
        ` page ${page + 1} `,
        h('button', { type: 'button', disabled: !list.next, testid: 'next-page', onclick: () => ((page += 1), void load()) }, 'Next'),
      );
    } catch (e) {
      renderProblem(error, problemOf(e));
    }
  }
  const restart = (): void => {
    page = 0;
    cursors.length = 1;
    void load();
  };
  state.addEventListener('change', restart);
  role.addEventListener('change', restart);

  const el = h(
    'section',
    { 'aria-labelledby': 'list-title', testid: 'request-list' },
    h('h2', { id: 'list-title' }, 'Requests'),
    h('div', { class: 'filters' }, h('label', { for: 'filter-state' }, 'State '), state, h('label', { for: 'filter-role' }, ' Side '), role),
    error,
    h('table', {}, h('thead', {}, h('tr', {}, ['Request', 'Title', 'State', 'Borrower', 'Lender', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))), tbody),
    pager,
  );
  const reload = debounce(() => void load(), 150);
  void load();
  return { el, onChange: reload, onReady: reload };
}
