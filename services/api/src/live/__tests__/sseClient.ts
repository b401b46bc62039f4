/**
 * A small server-sent-events client over fetch, for the tests (the dashboard reads the stream the
 * same way: fetch with an Authorization header, not EventSource). Parses the stream as the
 * HTML standard says: `id` sets the last event id even on a block without data, a block without
 * data dispatches nothing, comment lines are counted.
 */
export interface SseMessage {
  readonly id: string;
  readonly event: string;
  readonly data: string;
}

export class SseTestClient {
  readonly messages: SseMessage[] = [];
  /** The last event id seen (what a reconnect sends as Last-Event-ID). */
  lastId = '';
  comments = 0;
  ended = false;
  private waiters: (() => void)[] = [];
  private done: Promise<void> = Promise.resolve();

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {}

  /** Opens the stream; resolves once the response's headers are in (whatever the status). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
    const client = new SseTestClient(response, abort);
    if (response.ok && response.body) client.done = client.read(response.body);
    else client.ended = true;
    return client;
  }

  /** The `change` messages' data, parsed. */
  changes<T = Record<string, unknown>>(): T[] {
    return this.messages.filter((m) => m.event === 'change').map((m) => JSON.parse(m.data) as T);
  }

  /** Waits for the first message (from the start) that satisfies `test`; fails after `timeoutMs`. */
  async waitFor(test: (m: SseMessage) => boolean, what: string, timeoutMs = 15_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(test);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended before ${what} (${this.messages.length} messages)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.messages.length} messages, last id ${this.lastId})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until the stream ends (the server closed it). */
  async untilEnded(timeoutMs = 15_000): Promise<void> {
    await this.waitFor(() => false, 'the end', timeoutMs).catch((error: Error) => {
      if (!this.ended) throw error;
    });
  }

  /** Disconnects (the client goes away). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let id = this.lastId;
    let event = '';
    let data: string[] = [];
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
          if (line === '') {
            this.lastId = id;
            if (data.length > 0) this.messages.push({ id, event: event || 'message', data: data.join('\n') });
            event = '';
            data = [];
            this.wake();
            continue;
          }
          if (line.startsWith(':')) {
            this.comments++;
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
      }
    } catch {
      // aborted by close(), or the connection was cut
    } finally {
      this.ended = true;
      this.wake();
    }
  }
}
