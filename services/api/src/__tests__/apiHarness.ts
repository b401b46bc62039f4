/**
 * The API over a real SQLite file in a temporary directory, with the sample directory imported and
 * keys made with ApiKeys: requests are sent with fetch on a real socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiKeys, openEmbedded, type ApiRole, type App } from '@interlend/deployment';
import { saveDirectory } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { buildApi, type ApiOptions } from '../server';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  /** The body, parsed when it is JSON. */
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly text: string;
}

export interface CallOptions {
  readonly key?: string;
  readonly body?: unknown;
  /** A body sent as it is (not JSON-encoded). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export class ApiHarness {
  private keyCount = 0;
  private constructor(
    readonly dir: string,
    readonly app: App,
    readonly server: FastifyInstance,
    readonly keys: ApiKeys,
    /** `http://127.0.0.1:PORT` */
    readonly url: string,
  ) {}

  static async start(options: Partial<Omit<ApiOptions, 'app' | 'keys'>> = {}): Promise<ApiHarness> {
    const dir = mkdtempSync(path.join(tmpdir(), 'interlend-api-'));
    const app = await openEmbedded(path.join(dir, 'interlend.db'));
    await saveDirectory(app.events, sampleDirectoryJson(), { actor: { id: 'hub', role: 'hub' }, time: new Date().toISOString(), eventId: app.ids.next() });
    // A cheap scrypt for tests (the cost is a parameter of the stored hash).
    const keys = new ApiKeys(app.events, { hashParams: { logN: 10 } });
    const server = await buildApi({ app, keys, rateLimit: false, dashboard: false, ...options });
    // A real socket on a free port (Fastify's `inject` needs an ES module jest cannot load).
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    return new ApiHarness(dir, app, server, keys, url);
  }

  /** A new key of `library` with `role`. */
  async key(library: string, role: ApiRole): Promise<string> {
    const created = await this.keys.create({ library, role, label: `test key ${++this.keyCount}`, actor: { id: 'operator', role: 'admin' } });
    return created.key;
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${url}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body, text };
  }

  /** The log's head position: unchanged when nothing was written. */
  head(): Promise<number> {
    return this.app.events.headPosition();
  }

  /** Runs `send`, expects a problem with `status` and `code`, and that the log did not move. */
  async refused(send: () => Promise<Reply>, status: number, code: string): Promise<Reply> {
    const before = await this.head();
    const res = await send();
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await this.head()).toBe(before);
    return res;
  }

  /** Submits the sample request as `borrowerKey`; returns its id. */
  async submit(borrowerKey: string, overrides: Parameters<typeof sampleRequest>[0] = {}): Promise<string> {
    const res = await this.call('POST', '/v1/requests', { key: borrowerKey, body: sampleRequest(overrides) });
    if (res.status !== 201) throw new Error(`submit: ${res.status} ${res.text}`);
    return res.body.requestId as string;
  }

  /** Sends a command that must succeed. */
  async command(key: string, requestId: string, type: string, body: unknown = {}): Promise<Reply> {
    const res = await this.call('POST', `/v1/requests/${requestId}/commands/${type}`, { key, body });
    if (res.status !== 200) throw new Error(`${type}: ${res.status} ${res.text}`);
    return res;
  }

  /** Submitted by `borrowerKey`, then asked of `lender` first (the borrower's preferred lender). */
  async requestWithLender(borrowerKey: string, lender: string): Promise<string> {
    const id = await this.submit(borrowerKey);
    await this.command(borrowerKey, id, 'notAvailableLocally', { preferredLenders: [lender] });
    return id;
  }

  /** A request shipped by its lender. */
  async shipped(borrowerKey: string, lender: string, lenderKey: string): Promise<string> {
    const id = await this.requestWithLender(borrowerKey, lender);
    await this.command(lenderKey, id, 'willSupply');
    await this.command(lenderKey, id, 'ship', sampleShipment({ dueDate: '2099-02-05' }));
    return id;
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.app.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
