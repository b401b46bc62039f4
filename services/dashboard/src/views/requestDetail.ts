/**
 * One request: its summary, the commands allowed now (each a form checked by the engine's schema),
 * the rota, the statechart with its state highlighted, the timeline of its events, and a slider
 * that shows the request as it stood after any of its events (GET .../history?at=).
 */
import type { IllCommandType } from '@interlend/ill';
import { newIdempotencyKey, problemOf } from '../api';
import { collect, commandFields, errorBox, renderFields, renderProblem, showIssues, validate } from '../forms';
import { debounce, formatMoney, formatTime, h, replace } from '../dom';
import { drawStatechart } from '../statechart';
import type { App, View } from '../app';
import type { CommandResult, HistoryEvent, RequestDetail, RequestHistory } from '../types';

const actorText = (actor: HistoryEvent['actor']): string => (actor === null ? '—' : typeof actor === 'string' ? actor : `${actor.id} (${actor.role})`);

export function requestDetailView(app: App, requestId: string): View {
  const path = `/v1/requests/${encodeURIComponent(requestId)}`;
  const error = errorBox();
  const summary = h('dl', { class: 'summary', testid: 'request-summary' });
  const commands = h('div', { class: 'commands', testid: 'commands' });
  const formSlot = h('div', { class: 'command-form-slot' });
  const result = h('p', { class: 'result', role: 'status', testid: 'command-result' });
  const rota = h('div', { testid: 'rota' });
  const chart = h('div', { class: 'statechart', testid: 'statechart' }, h('p', { class: 'muted' }, 'Drawing the statechart…'));
  const chartCaption = h('p', { class: 'muted small', testid: 'statechart-caption' });
  const timeline = h('ol', { class: 'timeline', testid: 'timeline' });
  const slider = h('input', { type: 'range', id: 'history-slider', min: 0, max: 0, value: 0, step: 1, testid: 'history-slider' });
  const sliderLabel = h('output', { for: 'history-slider', testid: 'history-at' });
  const asOf = h('div', { class: 'as-of', testid: 'history-view' });

  let detail: RequestDetail | null = null;
  let events: HistoryEvent[] = [];
  let allowedKey: string | null = null;
  let openForm: string | null = null;
  let followLatest = true;
  let drawnState: string | null | undefined;

  const el = h(
    'section',
    { 'aria-labelledby': 'request-title', testid: 'request-detail' },
    h('h2', { id: 'request-title' }, 'Request ', h('span', { testid: 'request-id' }, requestId)),
    error,
    summary,
    h('section', { 'aria-labelledby': 'commands-title', class: 'panel' }, h('h3', { id: 'commands-title' }, 'Commands allowed now'), commands, formSlot, result),
    h(
      'div',
      { class: 'two-columns' },
      h('section', { 'aria-labelledby': 'timeline-title', class: 'panel' }, h('h3', { id: 'timeline-title' }, 'Timeline'), timeline),
      h(
        'section',
        { 'aria-labelledby': 'time-travel-title', class: 'panel', testid: 'time-travel' },
        h('h3', { id: 'time-travel-title' }, 'As it stood at any time'),
        h('label', { for: 'history-slider' }, 'Event '),
        slider,
        ' ',
        sliderLabel,
        asOf,
      ),
    ),
    h('section', { 'aria-labelledby': 'statechart-title', class: 'panel' }, h('h3', { id: 'statechart-title' }, 'Place on the statechart'), chartCaption, chart),
    h('section', { 'aria-labelledby': 'rota-title', class: 'panel' }, h('h3', { id: 'rota-title' }, 'Rota'), rota),
  );

  async function load(): Promise<void> {
    try {
      const [d, history] = await Promise.all([app.api.get<RequestDetail>(path), app.api.get<RequestHistory>(`${path}/history`)]);
      renderProblem(error, undefined);
      detail = d;
      events = history.events;
      renderSummary(d);
      renderCommands(d);
      renderRota(d);
      renderTimeline(history.events);
      slider.max = String(Math.max(0, events.length - 1));
      if (followLatest) slider.value = slider.max;
      await showAsOf();
    } catch (e) {
      renderProblem(error, problemOf(e));
    }
  }

  function renderSummary(d: RequestDetail): void {
    const material = d.context.request?.material;
    const row = (term: string, value: string, testid?: string) => [h('dt', {}, term), h('dd', { testid }, value)];
    replace(
      summary,
      row('State', d.state, 'request-state'),
      row('Title', material?.title ?? '—', 'request-title-text'),
      row('Borrower', d.borrower, 'request-borrower'),
      row('Current lender', d.lender ?? '—', 'request-lender'),
      row('Service', [d.context.request?.serviceType, d.context.request?.serviceLevel].filter(Boolean).join(', ') || '—'),
      row('Maximum cost', formatMoney(d.costs?.maximum ?? d.context.request?.maximumCost ?? null)),
      row('Offered / charged', `${formatMoney(d.costs?.offered ?? null)} / ${formatMoney(d.costs?.actual ?? null)}`),
      row('Revision', String(d.revision), 'request-revision'),
    );
  }

  function renderCommands(d: RequestDetail): void {
    const allowed = d.allowed.filter((c) => c !== 'deadlineReached');
    const key = allowed.join(',');
    if (key === allowedKey && (openForm === null || allowed.includes(openForm))) return;
    allowedKey = key;
    replace(
      commands,
      allowed.length === 0 ? h('p', { class: 'muted', testid: 'no-commands' }, app.me.role === 'auditor' ? 'Auditors read; they send no commands.' : 'Nothing you may send in this state.') : null,
      allowed.map((type) => h('button', { type: 'button', testid: `command-${type}`, 'aria-expanded': openForm === type ? 'true' : 'false', onclick: () => openCommand(type) }, type)),
    );
    if (openForm !== null && !allowed.includes(openForm)) closeForm();
  }

  function closeForm(): void {
    openForm = null;
    replace(formSlot);
    for (const b of commands.querySelectorAll('button')) b.setAttribute('aria-expanded', 'false');
  }

  function openCommand(type: string): void {
    openForm = type;
    for (const b of commands.querySelectorAll('button')) b.setAttribute('aria-expanded', b.getAttribute('data-testid') === `command-${type}` ? 'true' : 'false');
    const fields = commandFields(type);
    const formError = errorBox();
    const idempotencyKey = newIdempotencyKey();
    const send = h('button', { type: 'submit', testid: 'command-send' }, `Send ${type}`);
    const form = h(
      'form',
      { class: 'command-form', testid: `command-form-${type}`, 'aria-label': `${type} command`, novalidate: true },
      h('h4', {}, type),
      renderFields(`cmd-${type}`, fields),
      formError,
      h('div', { class: 'buttons' }, send, h('button', { type: 'button', onclick: closeForm }, 'Close')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        const data = collect(form, fields);
        const checked = validate(type as IllCommandType, data);
        if (!checked.ok) {
          showIssues(form, fields, checked.issues, formError);
          return;
        }
        showIssues(form, fields, [], formError);
        send.disabled = true;
        try {
          const r = await app.api.post<CommandResult>(`${path}/commands/${encodeURIComponent(type)}`, data, idempotencyKey);
          result.setAttribute('data-positions', r.events.map((e) => e.position).join(' '));
          result.textContent = `${type}: ${r.events.map((e) => e.type).join(', ') || 'nothing new'}${r.duplicate ? ' (already applied)' : ''} → ${r.state}`;
          closeForm();
          allowedKey = null;
          await load();
        } catch (e) {
          const problem = problemOf(e);
          showIssues(form, fields, (problem.errors ?? []).map((i) => ({ path: i.path, message: i.message })), formError, problem);
        } finally {
          send.disabled = false;
        }
      })();
    });
    replace(formSlot, form);
    form.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }

  function renderRota(d: RequestDetail): void {
    const entries = d.rota ?? [];
    if (entries.length === 0) {
      replace(rota, h('p', { class: 'muted' }, 'No rota yet: it is built when the request leaves the network check.'));
      return;
    }
    const current = d.context.current ?? null;
    replace(
      rota,
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ['#', 'Library', 'Status', 'Reason', 'Asked', 'Answer', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          entries.map((e) =>
            h(
              'tr',
              { class: e.position === current ? 'current' : null, 'aria-current': e.position === current ? 'true' : null, testid: `rota-${e.library}` },
              h('td', {}, String(e.position)),
              h('td', {}, e.library),
              h('td', {}, e.status),
              h('td', {}, e.reason ?? ''),
              h('td', {}, formatTime(e.requestedAt ?? null)),
              h('td', {}, e.lastAnswer ?? '—'),
              h('td', {}, e.outcome ?? (e.position === current ? 'current' : '—')),
            ),
          ),
        ),
      ),
    );
  }

  function renderTimeline(list: HistoryEvent[]): void {
    replace(
      timeline,
      list.map((e) =>
        h(
          'li',
          { testid: 'timeline-event', 'data-type': e.type, 'data-revision': e.revision },
          h('time', { datetime: e.time }, formatTime(e.time)),
          e.recordedAt && e.recordedAt !== e.time ? h('span', { class: 'muted' }, ` (recorded ${formatTime(e.recordedAt)})`) : null,
          ' ',
          h('strong', {}, e.type),
          ` by ${actorText(e.actor)}`,
          e.stateBefore !== e.stateAfter ? h('span', { class: 'transition' }, ` ${e.stateBefore ?? '∅'} → ${e.stateAfter ?? '∅'}`) : null,
          e.data && Object.keys(e.data as object).length ? h('details', {}, h('summary', {}, 'data'), h('pre', {}, JSON.stringify(e.data, null, 2))) : null,
        ),
      ),
    );
  }

  async function showAsOf(): Promise<void> {
    const index = Number(slider.value);
    const event = events[index];
    if (!event || !detail) {
      sliderLabel.textContent = 'no events';
      return;
    }
    const latest = index === events.length - 1;
    followLatest = latest;
    sliderLabel.textContent = `${index + 1} of ${events.length}: ${event.type} at ${formatTime(event.time)}`;
    let state = detail.state;
    if (!latest) {
      try {
        // ?at is by record time (what was known then): the event's own record time includes it.
        const past = await app.api.get<RequestHistory>(`${path}/history?at=${encodeURIComponent(event.recordedAt ?? event.time)}`);
        state = past.state ?? event.stateAfter ?? state;
        replace(
          asOf,
          h('p', {}, 'State then: ', h('strong', { testid: 'history-state' }, state)),
          h('p', { class: 'muted' }, `${past.events.length} events by then; ${past.laterEvents} later.`),
          past.context ? h('details', {}, h('summary', {}, 'Context then'), h('pre', {}, JSON.stringify(past.context, null, 2))) : null,
        );
      } catch (e) {
        renderProblem(error, problemOf(e));
      }
    } else {
      replace(asOf, h('p', {}, 'State now: ', h('strong', { testid: 'history-state' }, state)), h('p', { class: 'muted' }, 'Move the slider back to see the request as it stood after an earlier event.'));
    }
    chartCaption.textContent = latest ? `Now: ${state}` : `As of ${formatTime(event.time)}: ${state}`;
    if (drawnState !== state || !chart.querySelector('svg')) {
      drawnState = state;
      try {
        await drawStatechart(chart, await app.lifecycle(), state);
      } catch (e) {
        drawnState = undefined;
        replace(chart, h('p', { class: 'error' }, `The statechart could not be loaded: ${problemOf(e).detail ?? problemOf(e).title}`));
      }
    }
  }
  slider.addEventListener('input', debounce(() => void showAsOf(), 120));

  const reload = debounce(() => void load(), 100);
  void load();
  return {
    el,
    onChange(change) {
      if (change.requestId === requestId || change.changed.includes(`request:${requestId}`)) {
        // What this page sent last is history once someone else moved the request on.
        if (!(result.getAttribute('data-positions') ?? '').split(' ').includes(String(change.position))) result.textContent = '';
        reload();
      }
    },
    onReady: reload,
  };
}
