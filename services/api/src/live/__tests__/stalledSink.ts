import { EventEmitter } from 'node:events';
import type { SseSink } from '../sseConnection';

/**
 * The socket side of a client that reads nothing: every write stays pending (its callback is
 * never called) until `flush`. What a slow client looks like to the server once the kernel's
 * buffers are full, without filling megabytes of them in a test.
 */
export class StalledSink extends EventEmitter implements SseSink {
  readonly chunks: string[] = [];
  private pending: (() => void)[] = [];
  destroyed = false;
  ended = false;

  write(chunk: string, callback: (error?: Error | null) => void): boolean {
    this.chunks.push(chunk);
    this.pending.push(() => callback());
    return false;
  }

  /** The client reads everything written so far. */
  flush(): void {
    for (const done of this.pending.splice(0)) done();
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }

  /** The client goes away. */
  hangUp(): void {
    this.destroy();
  }
}
