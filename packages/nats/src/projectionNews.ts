import type { NatsConnection } from '@nats-io/transport-node';
import type { CountQuery, DocQuery, DocWrite, ReadModelStore, StoredDoc, Doc } from '@interlend/engine';
import { encode, type NewsMessage } from './envelopes';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';
import type { Subjects } from './subjects';

export interface ProjectionNewsOptions {
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** The parties a written document concerns: their dashboards hear of it. Default: none (only `~`). */
  readonly parties?: (projection: string, write: DocWrite) => readonly string[];
  /** Read models to announce. Default: all but the engine's own (`engine.*`) and the relay's (`nats.*`). */
  readonly include?: (projection: string) => boolean;
  readonly onError?: (error: unknown) => void;
}

/**
 * Read-model news: after each committed batch, which keys changed, on core NATS subjects a
 * dashboard subscribes to: `<prefix>.news.<party>.<projection>` (the keys that concern that
 * party) and `<prefix>.news.~.<projection>` (every key). Fire and forget: news is a hint to
 * re-read, and a dashboard that missed some (it was offline) re-reads everything on connect.
 */
export class ProjectionNews {
  private readonly subjects: Subjects;
  private readonly include: (projection: string) => boolean;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: ProjectionNewsOptions = {},
  ) {
    this.subjects = subjectsOf(resolveSettings(options.settings));
    this.include = options.include ?? ((p) => !p.startsWith('engine.') && !p.startsWith('nats.') && !p.includes('#'));
  }

  /** A read-model store that announces each successful commit that wrote documents. */
  wrap(readModels: ReadModelStore): ReadModelStore {
    return new AnnouncingReadModelStore(readModels, (projection, writes, checkpoint) => this.announce(projection, writes, checkpoint));
  }

  /** Announces one committed batch (called by the wrapper; call it yourself after a commit made elsewhere). */
  announce(projection: string, writes: readonly DocWrite[], checkpoint: number): void {
    if (writes.length === 0 || !this.include(projection)) return;
    try {
      const byParty = new Map<string, DocWrite[]>();
      for (const write of writes) {
        for (const party of new Set(this.options.parties?.(projection, write) ?? [])) {
          const list = byParty.get(party) ?? [];
          list.push(write);
          byParty.set(party, list);
        }
      }
      this.nc.publish(this.subjects.news(undefined, projection), encode(news(projection, checkpoint, writes)));
      for (const [party, list] of byParty) this.nc.publish(this.subjects.news(party, projection), encode(news(projection, checkpoint, list)));
    } catch (error) {
      // news never fails the commit it follows
      this.options.onError?.(error);
    }
  }
}

function news(projection: string, checkpoint: number, writes: readonly DocWrite[]): NewsMessage {
  return {
    v: 1,
    projection,
    checkpoint,
    changed: writes.filter((w) => w.doc !== null).map((w) => w.key),
    deleted: writes.filter((w) => w.doc === null).map((w) => w.key),
  };
}

/** Delegates everything; after a commit succeeded, tells `announce`. */
class AnnouncingReadModelStore implements ReadModelStore {
  constructor(
    private readonly inner: ReadModelStore,
    private readonly announce: (projection: string, writes: readonly DocWrite[], checkpoint: number) => void,
  ) {}
  checkpoint(projection: string): Promise<number> {
    return this.inner.checkpoint(projection);
  }
  getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    return this.inner.getMany(projection, keys);
  }
  async commit(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): Promise<void> {
    await this.inner.commit(projection, writes, checkpoint);
    this.announce(projection, writes, checkpoint.next);
  }
  query(projection: string, query?: DocQuery): Promise<StoredDoc[]> {
    return this.inner.query(projection, query);
  }
  count(projection: string, query?: CountQuery): Promise<number> {
    return this.inner.count(projection, query);
  }
  reset(projection: string): Promise<void> {
    return this.inner.reset(projection);
  }
  projections(): Promise<string[]> {
    return this.inner.projections();
  }
}
