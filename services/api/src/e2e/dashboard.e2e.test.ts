/**
 * The dashboard end to end, in headless Chromium (Debian's chromium, driven by playwright-core):
 * a real `interlend serve --port 0` on a temporary database, the directory imported and the keys
 * created with the CLI. A borrower signs in, submits a request through the form and sees it
 * appear in its queues without reloading; the lender the rota asked answers and ships from a
 * second page; the borrower's timeline and queue counts follow live. Screenshots go to the
 * test's temporary directory, and with UPDATE_SCREENSHOTS=1 also to docs/images/ (the docs and the
 * README show them), so that a test run leaves the working tree as it was.
 *
 * Needs `npm run build` (the CLI, the API and the dashboard's dist) and /usr/bin/chromium
 * (`bash scripts/install-test-deps.sh`): without either it fails and says so; it never skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../testing/browser';

const ROOT = path.resolve(__dirname, '../../../..');
const BIN = path.join(ROOT, 'services/cli/bin/interlend.js');
const BUILT = [path.join(ROOT, 'services/cli/dist/main.js'), path.join(ROOT, 'services/api/dist/server.js'), path.join(ROOT, 'services/dashboard/dist/index.html')];
const DIRECTORY = path.join(ROOT, 'docs/examples/directory.json');
const DOC_IMAGES = path.join(ROOT, 'docs/images');
const BORROWER = 'LIB1';
/**
 * The libraries of docs/examples/directory.json the rota may ask first: those in the delivery
 * network that lend (LIB5 is outside it, LIB7 does not lend, LIB8 lends as a last resort). Which
 * one is first depends on the request id (docs/domain.md, Rota), so each gets a key up front.
 */
const LENDERS = ['LIB2', 'LIB3', 'LIB4', 'LIB6'];
const STEP_MS = 15_000;

jest.setTimeout(120_000);

interface CliOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without a database chosen by whoever runs the tests. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.INTERLEND_DB;
  return env;
}

function cli(args: readonly string[]): Promise<CliOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function cliJson<T>(args: readonly string[]): Promise<T> {
  const out = await cli([...args, '--json']);
  if (out.code !== 0) throw new Error(`interlend ${args.join(' ')} --json exited ${out.code}\n${out.stderr}${out.stdout}`);
  return JSON.parse(out.stdout) as T;
}

async function createKey(library: string, role: string): Promise<string> {
  const created = await cliJson<{ key: string }>(['keys', 'create', '--library', library, '--role', role, '--label', 'browser test', '--db', db]);
  return created.key;
}

/** Starts `interlend serve --port 0` and resolves with the URL of its first stdout line. */
function serve(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db], { cwd: work, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error(`interlend serve printed no 'listening on' line in 20 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!.replace(/\/$/, '') });
      }
    });
    child.on('exit', (code) => fail(new Error(`interlend serve exited ${code} before listening\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
}

/** The little of the DOM that the functions evaluated in the page use (this file compiles without the DOM library). */
interface PageGlobals {
  noReloadMark?: number;
  document: { querySelector(selector: string): { closest(selector: string): { getAttribute(name: string): string | null } | null } | null };
}

let work: string;
let db: string;
let shots: string;
let server: ChildProcess | undefined;
let base: string;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const keys: Record<string, string> = {};
const pageErrors: string[] = [];

async function newPage(name: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1360, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
  page.on('console', (message) => {
    // A refused key is logged by the browser as a failed resource: that is the point of the first step.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageErrors.push(`${name}: console: ${message.text()}`);
  });
  await page.goto(`${base}/`);
  await page.getByTestId('sign-in-form').waitFor();
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
  await page.waitForSelector('[data-testid="live-status"][data-status="live"]');
  // Set once after sign-in: a reload would lose it, so finding it later proves nothing reloaded.
  await page.evaluate(() => ((globalThis as unknown as PageGlobals).noReloadMark = 42));
}

const stillSamePage = (page: Page): Promise<number | undefined> => page.evaluate(() => (globalThis as unknown as PageGlobals).noReloadMark);

async function screenshot(page: Page, name: string): Promise<void> {
  const buffer = await page.screenshot({ fullPage: true });
  writeFileSync(path.join(shots, name), buffer);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    writeFileSync(path.join(DOC_IMAGES, name), buffer);
  }
}

/** The data-testid of the queue (`queue-<role>-<queue>`) whose list shows `requestId`, or null. */
const queueOf = (page: Page, requestId: string): Promise<string | null> =>
  page.evaluate((id) => (globalThis as unknown as PageGlobals).document.querySelector(`[data-testid="queue-entry-${id}"]`)?.closest('li[data-testid^="queue-"]')?.getAttribute('data-testid') ?? null, requestId);

async function runCommand(page: Page, type: string, fill?: (form: ReturnType<Page['getByTestId']>) => Promise<void>): Promise<void> {
  await page.getByTestId(`command-${type}`).click();
  const form = page.getByTestId(`command-form-${type}`);
  await form.waitFor();
  if (fill) await fill(form);
  await form.getByTestId('command-send').click();
  await page.getByTestId('command-result').filter({ hasText: `${type}:` }).waitFor();
}

beforeAll(async () => {
  const missing = BUILT.filter((file) => !existsSync(file));
  if (missing.length) throw new Error(`the browser test needs the built CLI, API and dashboard: ${missing.join(', ')} missing: run 'npm run build' at the repository root`);
  // First, so that a missing browser fails at once with its install hint.
  browser = await launchChromium();
  work = mkdtempSync(path.join(tmpdir(), 'interlend-dashboard-e2e-'));
  db = path.join(work, 'interlend.db');
  shots = path.join(work, 'screenshots');
  mkdirSync(shots);
  await cliJson(['directory', 'import', DIRECTORY, '--db', db]);
  for (const [library, role] of [[BORROWER, 'borrowing'], ...LENDERS.map((l) => [l, 'lending']), ['LIB7', 'auditor'], ['LIB7', 'hub']] as const) {
    keys[`${library}:${role}`] = await createKey(library, role);
  }
  const started = await serve();
  server = started.child;
  base = started.url;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  if (server && server.exitCode === null && server.signalCode === null) {
    const closed = new Promise((resolve) => server!.once('close', resolve));
    server.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  }
  server?.stdout?.destroy();
  server?.stderr?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the dashboard in headless Chromium', () => {
  let borrower: Page;
  let lender: Page;
  let requestId: string;
  let lenderCode: string;
  let borrowerQueueBefore: string | null;

  it("refuses a key the API does not know, showing the 401's detail", async () => {
    borrower = await newPage('borrower');
    await borrower.getByLabel('API key').fill('ilk_nope_nope');
    await borrower.getByRole('button', { name: 'Sign in' }).click();
    const error = borrower.getByTestId('sign-in-error');
    await error.filter({ hasText: '401' }).waitFor();
    expect(await error.getByTestId('error-detail').textContent()).not.toBe('');
  });

  it("signs the borrower in and shows its library's queues", async () => {
    await signIn(borrower, keys[`${BORROWER}:borrowing`]!);
    expect(await borrower.getByTestId('whoami').textContent()).toContain(BORROWER);
    expect(await borrower.getByTestId('whoami-role').textContent()).toBe('borrowing');
    await borrower.getByTestId('queues').locator('.queue-list').first().waitFor();
  });

  it('checks the submit form with the engine schema, then submits; the request appears in a queue without reloading', async () => {
    await borrower.getByTestId('nav-submit').click();
    const form = borrower.getByTestId('submit-form');
    await form.waitFor();
    // An empty title is refused in the browser by the engine's own schema, naming the field.
    await form.getByTestId('submit-send').click();
    await expect(form.locator('[data-error-for="material.title"]').textContent()).resolves.toMatch(/material\.title/);
    await form.getByLabel('Title').fill('Field Guide to Mosses');
    await form.getByLabel('Author').fill('Lindqvist, A.');
    await form.getByTestId('submit-send').click();
    await borrower.waitForURL(/#\/requests\/.+/);
    requestId = (await borrower.getByTestId('request-id').textContent())!;
    expect(requestId).toBeTruthy();
    await borrower.getByTestId('request-state').filter({ hasText: 'networkCheck' }).waitFor();
    // The queues panel was not reloaded by the app: only the live stream makes it fetch again.
    await borrower.getByTestId(`queue-entry-${requestId}`).waitFor();
    borrowerQueueBefore = await queueOf(borrower, requestId);
    expect(borrowerQueueBefore).toMatch(/^queue-borrowing-/);
    expect(await stillSamePage(borrower)).toBe(42);
  });

  it('sends notAvailableLocally; the detail and rota name the lender asked', async () => {
    await runCommand(borrower, 'notAvailableLocally');
    await borrower.getByTestId('request-state').filter({ hasText: 'withLender.requested' }).waitFor();
    lenderCode = (await borrower.getByTestId('request-lender').textContent())!.trim();
    expect(LENDERS).toContain(lenderCode);
    await borrower.getByTestId(`rota-${lenderCode}`).waitFor();
    expect(await borrower.getByTestId(`rota-${lenderCode}`).getAttribute('aria-current')).toBe('true');
    await borrower.waitForSelector(`[data-testid="statechart"][data-rendered="true"][data-current-state="withLender.requested"]`);
    await screenshot(borrower, 'dashboard-borrower.png');
  });

  it('as that lender in a second page: finds it in its queue, answers willSupply and ships with a due date ahead', async () => {
    lender = await newPage('lender');
    await signIn(lender, keys[`${lenderCode}:lending`]!);
    const entry = lender.getByTestId(`queue-entry-${requestId}`);
    await entry.waitFor();
    expect(await queueOf(lender, requestId)).toMatch(/^queue-lending-/);
    await entry.click();
    await lender.getByTestId('request-state').filter({ hasText: 'withLender.requested' }).waitFor();
    await runCommand(lender, 'willSupply');
    await lender.getByTestId('request-state').filter({ hasText: 'withLender.willSupply' }).waitFor();
    await runCommand(lender, 'ship', async (form) => {
      await form.getByLabel('Item ids').fill('39000000012345');
      const due = await form.getByLabel('Due date').inputValue();
      expect(Date.parse(due)).toBeGreaterThan(Date.now());
      await form.getByLabel('Cost: amount').fill('5');
      await form.getByLabel('Tracking id').fill('1Z999');
    });
    await lender.getByTestId('request-state').filter({ hasText: 'shipped' }).waitFor();
    await screenshot(lender, 'dashboard-lender.png');
  });

  it("updates the borrower's timeline, state, statechart and queue counts live, without a reload", async () => {
    await borrower.locator('[data-testid="timeline-event"][data-type="Shipped"]').waitFor();
    await borrower.getByTestId('request-state').filter({ hasText: 'shipped' }).waitFor();
    const types = await borrower.getByTestId('timeline-event').evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    expect(types).toEqual(expect.arrayContaining(['RequestSubmitted', 'NotAvailableLocally', 'RotaBuilt', 'WillSupplyAnswered', 'Shipped']));
    await borrower.waitForFunction(
      ([id, before]) => {
        const queue = (globalThis as unknown as PageGlobals).document.querySelector(`[data-testid="queue-entry-${id}"]`)?.closest('li[data-testid^="queue-"]')?.getAttribute('data-testid') ?? null;
        return queue !== before;
      },
      [requestId, borrowerQueueBefore] as const,
    );
    await borrower.waitForSelector('[data-testid="statechart"][data-rendered="true"][data-current-state="shipped"]');
    expect(await borrower.locator('[data-testid="statechart"] svg .current').count()).toBeGreaterThan(0);
    expect(await borrower.getByTestId('command-receive').count()).toBe(1);
    expect(Number(await borrower.getByTestId('live-status').getAttribute('data-changes'))).toBeGreaterThan(0);
    expect(await stillSamePage(borrower)).toBe(42);
    expect(await stillSamePage(lender)).toBe(42);
    await screenshot(borrower, 'dashboard-request.png');
  });

  it('shows an auditor the request as it stood after its first event (the slider over its history)', async () => {
    const auditor = await newPage('auditor');
    await signIn(auditor, keys['LIB7:auditor']!);
    await auditor.goto(`${base}/#/requests/${encodeURIComponent(requestId)}`);
    await auditor.getByTestId('request-state').filter({ hasText: 'shipped' }).waitFor();
    await auditor.getByTestId('no-commands').waitFor();
    await auditor.getByTestId('history-slider').fill('0');
    await auditor.getByTestId('history-state').filter({ hasText: 'networkCheck' }).waitFor();
    await auditor.waitForSelector('[data-testid="statechart"][data-rendered="true"][data-current-state="networkCheck"]');
    await screenshot(auditor, 'dashboard-auditor.png');
  });

  it("shows hub staff every member library's queues and the statistics charts", async () => {
    const hub = await newPage('hub');
    await signIn(hub, keys['LIB7:hub']!);
    await hub.getByTestId('nav-hub').click();
    await hub.getByTestId(`hub-row-${BORROWER}`).waitFor();
    await hub.getByTestId(`hub-row-${lenderCode}`).waitFor();
    await screenshot(hub, 'dashboard-hub.png');
    await hub.getByTestId('nav-stats').click();
    await hub.getByTestId('turnaround-table').waitFor();
    await hub.locator('[data-testid="chart-turnaround"] canvas').waitFor();
    await screenshot(hub, 'dashboard-stats.png');
  });

  it('raised no script errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
