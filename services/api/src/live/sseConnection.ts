/** The part of a Node writable (an http.ServerResponse) a stream writes to. */
export interface SseSink {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  end(): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** One server-sent event: `id`, `event` and `data` (JSON on one line, so no line of it needs splitting). */
export function sseFrame(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** How long a stream the server ends may take to flush before it is cut. */
export const SERVER_CLOSE_GRACE_MS = 1_000;

export type CloseReason = 'client' | 'slow' | 'server';

/**
 * One client's stream. Counts the messages written but not yet handed to the socket: a client
 * that lets more than `maxBuffered` pile up is cut off (it resumes with Last-Event-ID), so one
 * slow reader never holds the server's memory.
 */
export class SseConnection {
  private pending = 0;
  private closedBy: CloseReason | undefined;
  /** The id of the last event written (what the client will send as Last-Event-ID). */
  lastId: number;
  private readonly closeListeners: ((reason: CloseReason) => void)[] = [];
  /** Replays waiting for the client to take what was written. */
  private waiters: (() => void)[] = [];

  constructor(
    private readonly sink: SseSink,
    private readonly maxBuffered: number,
    lastId: number,
  ) {
    this.lastId = lastId;
    sink.once('close', () => this.close('client'));
  }

  get closed(): boolean {
    return this.closedBy !== undefined || this.sink.destroyed;
  }

  get closeReason(): CloseReason | undefined {
    return this.closedBy;
  }

  /** Messages written and not yet flushed to the socket. */
  get buffered(): number {
    return this.pending;
  }

  onClose(listener: (reason: CloseReason) => void): void {
    if (this.closedBy) listener(this.closedBy);
    else this.closeListeners.push(listener);
  }

  /** Writes an event; false when the stream is closed, or was closed now because the client is too slow. */
  send(id: number, event: string, data: unknown): boolean {
    if (!this.write(sseFrame(id, event, data))) return false;
    this.lastId = id;
    return true;
  }

  /** Writes a comment line (a heartbeat), with the position reached when it is past the last id sent (see docs/api-live.md). */
  heartbeat(position: number): boolean {
    const advance = position > this.lastId;
    const ok = this.write(advance ? `: heartbeat\nid: ${position}\n\n` : ': heartbeat\n\n');
    if (ok && advance) this.lastId = position;
    return ok;
  }

  /** Raw text (the retry hint, comments). */
  write(text: string): boolean {
    if (this.closed) return false;
    if (this.pending >= this.maxBuffered) {
      this.close('slow');
      return false;
    }
    this.pending++;
    this.sink.write(text, () => {
      this.pending--;
      if (this.pending <= this.maxBuffered / 2) this.wake();
    });
    return true;
  }

  /** Resolves once the client has taken what was written down to half the bound (replays pace themselves with it), or the stream closed. */
  async drained(): Promise<void> {
    while (!this.closed && this.pending > this.maxBuffered / 2) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Ends the stream: gracefully for 'server' (a last comment says why), at once for a slow client. */
  close(reason: CloseReason, comment?: string): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    if (reason === 'server' && !this.sink.destroyed) {
      if (comment) this.sink.write(`: ${comment}\n\n`, () => undefined);
      this.sink.end();
      // A client that does not read would hold the end (and the server's close) back: cut it after a grace period.
      const cut = setTimeout(() => this.sink.destroy(), SERVER_CLOSE_GRACE_MS);
      cut.unref?.();
      this.sink.once('close', () => clearTimeout(cut));
    } else if (reason === 'slow') {
      this.sink.destroy();
    }
    this.wake();
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}
