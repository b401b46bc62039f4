import type { Database, Statement, Transaction } from 'better-sqlite3';
import { docToJson, ConcurrencyError, validateCommit } from '@interlend/engine';
import type { Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from '@interlend/engine';
import { toStoreError } from './appendEvents';
import { migrate } from './schema';

type Checkpoint = { readonly expected: number; readonly next: number };
type DocRow = [key: string, doc: string];

/**
 * Read models on an embedded SQLite database: documents as JSON text keyed by (projection, key),
 * their index values in `read_model_index`, one checkpoint per projection. A commit is one
 * immediate transaction: checkpoint compare-and-set, upserts and deletes, index rewrite of the
 * written keys. Keys and index values compare by bytes (BINARY collation).
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly db: Database;
  private readonly checkpointOf: Statement<[string], number>;
  private readonly getDoc: Statement<[string, string], string>;
  private readonly commitTx: Transaction<(projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint) => void>;
  private readonly resetTx: Transaction<(projection: string) => void>;
  private readonly queryAll: Statement<[string, number], DocRow>;
  private readonly queryIndex: Statement<[string, string, string, number], DocRow>;
  private readonly queryRange: Statement<[string, string, string, string, number], DocRow>;
  private readonly queryBoth: Statement<[string, string, string, string, string, string, number], DocRow>;
  private readonly listProjections: Statement<[], string>;

  constructor(db: Database) {
    this.db = db;
    try {
      migrate(db);
      this.checkpointOf = db.prepare<[string], number>('SELECT position FROM checkpoints WHERE projection = ?').pluck();
      this.getDoc = db.prepare<[string, string], string>('SELECT doc FROM read_models WHERE projection = ? AND key = ?').pluck();
      const upsertCheckpoint = db.prepare<[string, number]>(
        'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
      );
      const upsertDoc = db.prepare<[string, string, string]>(
        'INSERT INTO read_models (projection, key, doc) VALUES (?, ?, ?) ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc',
      );
      const deleteDoc = db.prepare<[string, string]>('DELETE FROM read_models WHERE projection = ? AND key = ?');
      const deleteIndex = db.prepare<[string, string]>('DELETE FROM read_model_index WHERE projection = ? AND key = ?');
      const insertIndex = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO read_model_index (projection, value, key) VALUES (?, ?, ?)');

      this.commitTx = db.transaction((projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint) => {
        const stored = this.checkpointOf.get(projection) ?? 0;
        if (stored !== checkpoint.expected) {
          throw new ConcurrencyError(`projection '${projection}' is at checkpoint ${stored}, not ${checkpoint.expected}; nothing was written`, {
            projection,
            expected: checkpoint.expected,
            actual: stored,
          });
        }
        for (const write of writes) {
          deleteIndex.run(projection, write.key);
          if (write.doc === null) {
            deleteDoc.run(projection, write.key);
            continue;
          }
          upsertDoc.run(projection, write.key, docToJson(write.doc, write.key));
          if (write.index) for (const value of write.index) insertIndex.run(projection, value, write.key);
        }
        upsertCheckpoint.run(projection, checkpoint.next);
      });

      const resetStatements = ['read_models', 'read_model_index', 'checkpoints'].map((table) => db.prepare<[string]>(`DELETE FROM ${table} WHERE projection = ?`));
      this.resetTx = db.transaction((projection: string) => {
        for (const statement of resetStatements) statement.run(projection);
      });

      // Parameters in order: projection, then each filter's projection and values, then the limit (-1: none).
      // The IN lists are read from the (projection, value, key) index in key order, so nothing is sorted.
      const select = (filter: string): string => `SELECT key, doc FROM read_models WHERE projection = ?${filter} ORDER BY key LIMIT ?`;
      const withValue = ' AND key IN (SELECT key FROM read_model_index WHERE projection = ? AND value = ?)';
      this.queryAll = db.prepare<[string, number], DocRow>(select('')).raw(true);
      this.queryIndex = db.prepare<[string, string, string, number], DocRow>(select(withValue)).raw(true);
      // A range scan returns documents in the order of their lowest index value in the range (then key):
      // the earliest deadline first.
      const ranged = (filter: string): string =>
        `SELECT d.key, d.doc FROM (SELECT key, min(value) AS v FROM read_model_index WHERE projection = ? AND value >= ? AND value < ? GROUP BY key) r
         JOIN read_models d ON d.projection = ? AND d.key = r.key${filter} ORDER BY r.v, r.key LIMIT ?`;
      const withValueOnD = ' AND d.key IN (SELECT key FROM read_model_index WHERE projection = ? AND value = ?)';
      this.queryRange = db.prepare<[string, string, string, string, number], DocRow>(ranged('')).raw(true);
      this.queryBoth = db.prepare<[string, string, string, string, string, string, number], DocRow>(ranged(withValueOnD)).raw(true);
      // Distinct projection names by skip-scan: one index probe per projection, not one row per document.
      this.listProjections = db
        .prepare<[], string>(
          `WITH RECURSIVE names(name) AS (
             SELECT min(projection) FROM read_models
             UNION ALL
             SELECT (SELECT min(projection) FROM read_models WHERE projection > names.name) FROM names WHERE names.name IS NOT NULL
           )
           SELECT name FROM names WHERE name IS NOT NULL
           UNION
           SELECT projection FROM checkpoints
           ORDER BY 1`,
        )
        .pluck();
    } catch (error) {
      throw toStoreError(error, `cannot use SQLite database '${db.name}' for read models`);
    }
  }

  async checkpoint(projection: string): Promise<number> {
    return this.run(() => this.checkpointOf.get(projection) ?? 0, `checkpoint of '${projection}' unavailable`);
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    return this.run(() => {
      const found = new Map<string, Doc>();
      for (const key of keys) {
        const json = this.getDoc.get(projection, key);
        if (json !== undefined) found.set(key, JSON.parse(json) as Doc);
      }
      return found;
    }, `read of '${projection}' documents failed`);
  }

  /**
   * Read models are disposable: their commits skip the fsync (synchronous=NORMAL for that
   * transaction), whatever the connection's setting for events. A power loss can then roll a read
   * model back to an earlier checkpoint together with its documents (never past the events, which
   * were synced before), and the runner catches up again.
   */
  async commit(projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint): Promise<void> {
    validateCommit(projection, writes, checkpoint);
    this.run(() => {
      const previous = this.db.pragma('synchronous', { simple: true }) as number;
      if (previous > 1) this.db.pragma('synchronous = NORMAL');
      try {
        this.commitTx.immediate(projection, writes, checkpoint);
      } finally {
        if (previous > 1) this.db.pragma(`synchronous = ${previous}`);
      }
    }, `commit of '${projection}' failed`);
  }

  async query(projection: string, query: DocQuery = {}): Promise<StoredDoc[]> {
    const limit = query.limit === undefined ? -1 : Math.max(0, query.limit);
    const { index, indexRange } = query;
    return this.run(() => {
      const rows =
        index !== undefined && indexRange
          ? this.queryBoth.all(projection, indexRange.from, indexRange.to, projection, projection, index, limit)
          : index !== undefined
            ? this.queryIndex.all(projection, projection, index, limit)
            : indexRange
              ? this.queryRange.all(projection, indexRange.from, indexRange.to, projection, limit)
              : this.queryAll.all(projection, limit);
      return rows.map(([key, doc]) => ({ key, doc: JSON.parse(doc) as Doc }));
    }, `query of '${projection}' failed`);
  }

  async reset(projection: string): Promise<void> {
    this.run(() => this.resetTx.immediate(projection), `reset of '${projection}' failed`);
  }

  async projections(): Promise<string[]> {
    return this.run(() => this.listProjections.all(), 'listing projections failed');
  }

  private run<T>(work: () => T, what: string): T {
    try {
      return work();
    } catch (error) {
      throw toStoreError(error, what);
    }
  }
}

