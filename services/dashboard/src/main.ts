/**
 * The interlend staff dashboard: sign in with an API key (kept in sessionStorage, sent as a Bearer
 * token), then the views the key's role may use, all kept current by the /v1/live stream.
 * Routes live in the URL's hash (#/requests, #/requests/ID, #/submit, #/hub, #/stats), so moving
 * between views never reloads the page.
 */
import './style.css';
import { Api, problemOf } from './api';
import { errorBox, renderProblem } from './forms';
import { h, replace } from './dom';
import { LiveStream, type LiveStatus } from './live';
import { seesAll, type App, type View } from './app';
import { queuesPanel } from './views/queues';
import { requestListView } from './views/requestList';
import { requestDetailView } from './views/requestDetail';
import { submitView } from './views/submit';
import { hubView } from './views/hub';
import { statsView } from './views/stats';
import type { DirectoryLibrary, LiveChange, Me } from './types';

const KEY = 'interlend.apiKey';
const root = document.querySelector<HTMLElement>('#app')!;

function signInPage(message?: string): void {
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', testid: 'sign-in-key' });
  const error = errorBox();
  error.setAttribute('data-testid', 'sign-in-error');
  const button = h('button', { type: 'submit', testid: 'sign-in-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in', testid: 'sign-in-form', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'interlend'),
    h('p', {}, 'Sign in with your library’s API key (', h('code', {}, 'interlend keys create'), ').'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    error,
    button,
  );
  if (message) renderProblem(error, { title: 'Signed out', status: 0, detail: message });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      renderProblem(error, { title: 'Missing key', status: 0, detail: 'Enter an API key.' });
      return;
    }
    button.disabled = true;
    void signIn(key)
      .catch((e: unknown) => renderProblem(error, problemOf(e)))
      .finally(() => (button.disabled = false));
  });
  replace(root, h('main', { class: 'sign-in-page' }, form));
  input.focus();
}

async function signIn(key: string): Promise<void> {
  const api = new Api(key);
  const me = await api.get<Me>('/v1/me');
  sessionStorage.setItem(KEY, key);
  dashboard(api, me);
}

function signOut(message?: string): void {
  sessionStorage.removeItem(KEY);
  live?.stop();
  live = undefined;
  window.removeEventListener('hashchange', route);
  signInPage(message);
}

let live: LiveStream | undefined;
let route: () => void = () => undefined;

function dashboard(api: Api, me: Me): void {
  let lifecycle: Promise<string> | undefined;
  let directory: Promise<DirectoryLibrary[]> | undefined;
  const app: App = {
    api,
    me,
    navigate: (hash) => {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
    lifecycle: () => (lifecycle ??= api.get<{ mermaid: string }>('/v1/lifecycle').then((r) => r.mermaid)).catch((e: unknown) => ((lifecycle = undefined), Promise.reject(e))),
    directory: () => (directory ??= api.get<{ libraries: DirectoryLibrary[] } | DirectoryLibrary[]>('/v1/directory').then((r) => (Array.isArray(r) ? r : r.libraries ?? []))),
  };

  const links: [string, string, boolean][] = [
    ['#/requests', 'Requests', true],
    ['#/submit', 'New request', me.role === 'borrowing'],
    ['#/hub', 'All libraries', seesAll(me)],
    ['#/stats', 'Statistics', true],
  ];
  const nav = h('nav', { 'aria-label': 'Views' }, h('ul', {}, links.filter(([, , shown]) => shown).map(([href, text]) => h('li', {}, h('a', { href, testid: `nav-${href.slice(2)}` }, text)))));
  const liveStatus = h('span', { class: 'live-status', role: 'status', testid: 'live-status', 'data-status': 'connecting' }, 'connecting');
  const main = h('main', { id: 'view', tabindex: '-1' });
  const queues = queuesPanel(app);
  const header = h(
    'header',
    {},
    h('h1', {}, 'interlend'),
    h('span', { class: 'whoami', testid: 'whoami' }, h('strong', {}, me.library), me.libraryName ? ` ${me.libraryName}` : '', ' · ', h('span', { testid: 'whoami-role' }, me.role), me.label ? ` · ${me.label}` : ''),
    liveStatus,
    h('button', { type: 'button', testid: 'sign-out', onclick: () => signOut() }, 'Sign out'),
  );
  replace(root, header, nav, h('div', { class: 'layout' }, h('aside', {}, queues.el), main));

  let current: View | undefined;
  route = () => {
    current?.dispose?.();
    const hash = location.hash || '#/requests';
    const detail = /^#\/requests\/(.+)$/.exec(hash);
    if (detail) current = requestDetailView(app, decodeURIComponent(detail[1]!));
    else if (hash === '#/submit') current = submitView(app);
    else if (hash === '#/hub') current = hubView(app);
    else if (hash === '#/stats') current = statsView(app);
    else current = requestListView(app);
    for (const a of nav.querySelectorAll('a')) a.toggleAttribute('aria-current', a.getAttribute('href') === hash);
    replace(main, current.el);
  };
  window.addEventListener('hashchange', route);
  route();

  live?.stop();
  let changes = 0;
  live = new LiveStream(api.key, {
    onChange(change: LiveChange) {
      changes += 1;
      liveStatus.setAttribute('data-changes', String(changes));
      liveStatus.setAttribute('data-last-id', String(change.position));
      queues.onChange?.(change);
      current?.onChange?.(change);
    },
    onReady() {
      queues.onReady?.();
      current?.onReady?.();
    },
    onStatus(status: LiveStatus, detail?: string) {
      liveStatus.setAttribute('data-status', status);
      liveStatus.textContent = status === 'live' ? 'live' : status === 'stopped' ? `not live${detail ? `: ${detail}` : ''}` : `${status}${detail ? ` (${detail})` : ''}…`;
    },
  });
  live.start();
  // For the browser test and for debugging: drop the stream as a network failure would.
  (window as unknown as { interlendLive?: LiveStream }).interlendLive = live;
}

const saved = sessionStorage.getItem(KEY);
if (saved) {
  signIn(saved).catch((e: unknown) => {
    const problem = problemOf(e);
    signOut(problem.status === 401 ? `The saved key was refused: ${problem.detail ?? problem.title}` : (problem.detail ?? problem.title));
  });
} else {
  signInPage();
}
