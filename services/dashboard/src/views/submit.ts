/** The submit-request form, checked by the engine's `submit` schema before it is sent (POST /v1/requests). */
import { newIdempotencyKey, problemOf } from '../api';
import { collect, errorBox, renderFields, showIssues, SUBMIT_FIELDS, validate } from '../forms';
import { h } from '../dom';
import { requestHash, type App, type View } from '../app';
import type { CommandResult } from '../types';

export function submitView(app: App): View {
  const formError = errorBox();
  const idempotencyKey = newIdempotencyKey();
  const send = h('button', { type: 'submit', testid: 'submit-send' }, 'Submit request');
  const form = h(
    'form',
    { class: 'submit-form', testid: 'submit-form', 'aria-labelledby': 'submit-title', novalidate: true },
    h('h2', { id: 'submit-title' }, `New request from ${app.me.library}`),
    h('div', { class: 'grid-form' }, renderFields('submit', SUBMIT_FIELDS)),
    formError,
    h('div', { class: 'buttons' }, send),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const data = collect(form, SUBMIT_FIELDS);
      const checked = validate('submit', data);
      if (!checked.ok) {
        showIssues(form, SUBMIT_FIELDS, checked.issues, formError);
        return;
      }
      showIssues(form, SUBMIT_FIELDS, [], formError);
      send.disabled = true;
      try {
        const result = await app.api.post<CommandResult>('/v1/requests', data, idempotencyKey);
        app.navigate(requestHash(result.requestId));
      } catch (e) {
        const problem = problemOf(e);
        showIssues(form, SUBMIT_FIELDS, problem.errors ?? [], formError, problem);
      } finally {
        send.disabled = false;
      }
    })();
  });
  return { el: form };
}
