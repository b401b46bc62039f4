/**
 * The /v1/live server-sent-events stream, read with fetch() (EventSource cannot send the
 * Authorization header). Reconnects after a drop with `Last-Event-ID` set to the last id seen, so
 * the server replays what was missed; the wait grows from 0.5 s to 10 s while it keeps failing.
 */
import type { LiveChange } from './types';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveHandlers {
  onChange(change: LiveChange): void;
  /** `ready` arrived: the stream is live (after a reconnect, what was missed has been replayed before it or follows it). */
  onReady(): void;
  onStatus(status: LiveStatus, detail?: string): void;
}

interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Parses one SSE block (the lines between blank lines). */
export function parseSseBlock(block: string): SseMessage | null {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (id === undefined && data.length === 0 && event === 'message') return null;
  return { id, event, data: data.join('\n') };
}

export class LiveStream {
  private lastEventId: string | undefined;
  private controller: AbortController | undefined;
  private stopped = false;
  private delayMs = 500;

  constructor(
    private readonly key: string,
    private readonly handlers: LiveHandlers,
  ) {}

  /** The id of the last message received (what a reconnect sends as Last-Event-ID). */
  get lastId(): string | undefined {
    return this.lastEventId;
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.handlers.onStatus('stopped');
  }

  /** Drops the connection (as a network failure would) and reconnects: used by tests and the "reconnect" button. */
  reconnect(): void {
    this.controller?.abort();
  }

  private async loop(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      this.handlers.onStatus(first ? 'connecting' : 'reconnecting');
      first = false;
      this.controller = new AbortController();
      try {
        const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, Accept: 'text/event-stream' };
        if (this.lastEventId !== undefined) headers['Last-Event-ID'] = this.lastEventId;
        const response = await fetch('/v1/live', { headers, signal: this.controller.signal, cache: 'no-store' });
        if (!response.ok || !response.body) {
          let detail = `HTTP ${response.status}`;
          try {
            const problem = (await response.json()) as { detail?: string; title?: string };
            detail = problem.detail ?? problem.title ?? detail;
          } catch {
            // not JSON: keep the status
          }
          this.handlers.onStatus('reconnecting', detail);
          if (response.status === 401 || response.status === 403) {
            this.stopped = true;
            this.handlers.onStatus('stopped', detail);
            return;
          }
        } else {
          await this.read(response.body);
        }
      } catch (error) {
        if (this.stopped) return;
        this.handlers.onStatus('reconnecting', error instanceof Error ? error.message : String(error));
      }
      if (this.stopped) return;
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      this.delayMs = Math.min(this.delayMs * 2, 10_000);
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        this.dispatch(block);
      }
    }
  }

  private dispatch(block: string): void {
    const message = parseSseBlock(block);
    if (!message) return;
    if (message.id !== undefined && message.id !== '') this.lastEventId = message.id;
    if (message.event === 'ready') {
      this.delayMs = 500;
      this.handlers.onStatus('live');
      this.handlers.onReady();
      return;
    }
    if (message.event !== 'change') return;
    try {
      this.handlers.onChange(JSON.parse(message.data) as LiveChange);
    } catch (error) {
      console.error('interlend live: a change message that is not JSON', message.data, error);
    }
  }
}
