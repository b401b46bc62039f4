import type { Database, Statement, Transaction } from 'better-sqlite3';
import { compareCodePoints, docToJson, ConcurrencyError, lowestInRange, StoreError, validateCommit, validateQuery } from '@interlend/engine';
import type { CountQuery, Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from '@interlend/engine';
import { toStoreError } from './appendEvents';
import { migrate } from './schema';

type Checkpoint = { readonly expected: number; readonly next: number };
type DocRow = [key: string, doc: string];
type IndexRow = [value: string, key: string, doc: string, idx: string | null];

/** The tables of one projection's read model: `rm_<id>_docs` and `rm_<id>_index`. */
function readModelTables(id: number): { docs: string; index: string } {
  return { docs: `rm_${id}_docs`, index: `rm_${id}_index` };
}

/** The statements over one projection's tables, prepared once per table pair. */
interface TableStatements {
  readonly id: number;
  readonly isEmpty: Statement<[], number>;
  readonly getDoc: Statement<[string], string>;
  readonly getIndexValues: Statement<[string], string | null>;
  readonly insertDoc: Statement<[string, string, string | null]>;
  readonly upsertDoc: Statement<[string, string, string | null]>;
  readonly deleteDoc: Statement<[string]>;
  readonly insertIndex: Statement<[string, string]>;
  readonly deleteIndex: Statement<[string, string]>;
  readonly queryAll: Statement<[number], DocRow>;
  readonly queryAllAfter: Statement<[string, number], DocRow>;
  readonly queryIndex: Statement<[string, number], DocRow>;
  readonly queryIndexAfter: Statement<[string, string, number], DocRow>;
  readonly walkRange: Statement<[string, string], IndexRow>;
  readonly walkRangeAfter: Statement<[string, string, string], IndexRow>;
  readonly countAll: Statement<[], number>;
  readonly countIndex: Statement<[string], number>;
  readonly countRange: Statement<[string, string], number>;
  readonly countIndexRange: Statement<[string, string, string], number>;
}

/** The SQL of the read statements, for `queryPlan`. */
function querySql(id: number) {
  const { docs, index } = readModelTables(id);
  // Every read walks an index in order and stops at the limit: the documents' key index, or the
  // index table's primary key (value, key). A range walk reads (value, key) rows in order; the
  // code passes over a document's rows other than its lowest value in the range and stops as soon
  // as it has `limit` documents, so finding the earliest of n deadlines reads O(log n) pages.
  const walk = `SELECT i.value, i.key, d.doc, d.idx FROM ${index} i JOIN ${docs} d ON d.key = i.key`;
  return {
    queryAll: `SELECT key, doc FROM ${docs} ORDER BY key LIMIT ?`,
    queryAllAfter: `SELECT key, doc FROM ${docs} WHERE key > ? ORDER BY key LIMIT ?`,
    queryIndex: `SELECT d.key, d.doc FROM ${index} i JOIN ${docs} d ON d.key = i.key WHERE i.value = ? ORDER BY i.key LIMIT ?`,
    queryIndexAfter: `SELECT d.key, d.doc FROM ${index} i JOIN ${docs} d ON d.key = i.key WHERE i.value = ? AND i.key > ? ORDER BY i.key LIMIT ?`,
    walkRange: `${walk} WHERE i.value >= ? AND i.value < ? ORDER BY i.value, i.key`,
    walkRangeAfter: `${walk} WHERE (i.value, i.key) > (?, ?) AND i.value < ? ORDER BY i.value, i.key`,
    // Counts read the index table only (its primary key covers value and key): an exact value is
    // one run of its rows; a range counts its distinct keys (a document with several values in
    // it once), with a probe of the primary key for an exact value asked beside the range.
    countAll: `SELECT count(*) FROM ${docs}`,
    countIndex: `SELECT count(*) FROM ${index} WHERE value = ?`,
    countRange: `SELECT count(DISTINCT key) FROM ${index} WHERE value >= ? AND value < ?`,
    countIndexRange: `SELECT count(DISTINCT i.key) FROM ${index} i WHERE i.value >= ? AND i.value < ? AND EXISTS (SELECT 1 FROM ${index} e WHERE e.value = ? AND e.key = i.key)`,
  };
}

/**
 * Read models on an embedded SQLite database. Each projection has tables of its own, created on
 * its first commit and named by its number in `read_model_tables`:
 *
 * - `rm_<id>_docs (id, key UNIQUE, doc, idx)`: the documents as JSON text, with their index
 *   values (a JSON array, or NULL) so that a rewrite knows which index rows to remove;
 * - `rm_<id>_index (value, key)`: one row per index value, the primary key, so a lookup or a
 *   range scan reads the keys in order without sorting.
 *
 * A commit is one immediate transaction: checkpoint compare-and-set, then the writes. Into an
 * empty table (a rebuild, a new projection) the documents are plain inserts, with nothing to
 * look up or delete first. `reset` drops the tables, so a rebuild loads into new, empty ones
 * (measured on 9,400 documents and 23,000 index values: about 45 % less time than deleting the
 * rows of shared tables and upserting into them). Keys and index values compare by bytes
 * (BINARY collation).
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly db: Database;
  private readonly checkpointOf: Statement<[string], number>;
  private readonly upsertCheckpoint: Statement<[string, number]>;
  private readonly deleteCheckpoint: Statement<[string]>;
  private readonly tableOf: Statement<[string], number>;
  private readonly registerTable: Statement<[string]>;
  private readonly unregisterTable: Statement<[number]>;
  private readonly listProjections: Statement<[], string>;
  private readonly commitTx: Transaction<(projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint) => void>;
  private readonly resetTx: Transaction<(projection: string) => void>;
  /** Statements per projection, for the tables it had when they were prepared. */
  private readonly statements = new Map<string, TableStatements>();

  constructor(db: Database) {
    this.db = db;
    try {
      migrate(db);
      this.checkpointOf = db.prepare<[string], number>('SELECT position FROM checkpoints WHERE projection = ?').pluck();
      this.upsertCheckpoint = db.prepare<[string, number]>(
        'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
      );
      this.deleteCheckpoint = db.prepare<[string]>('DELETE FROM checkpoints WHERE projection = ?');
      this.tableOf = db.prepare<[string], number>('SELECT id FROM read_model_tables WHERE projection = ?').pluck();
      this.registerTable = db.prepare<[string]>('INSERT INTO read_model_tables (projection) VALUES (?)');
      this.unregisterTable = db.prepare<[number]>('DELETE FROM read_model_tables WHERE id = ?');
      // Every projection with tables has a checkpoint (both are written by the same commits), but
      // the union keeps a read model visible even if that ever changed.
      this.listProjections = db.prepare<[], string>('SELECT projection FROM checkpoints UNION SELECT projection FROM read_model_tables ORDER BY 1').pluck();
      this.commitTx = db.transaction((projection, writes, checkpoint) => this.commitInTransaction(projection, writes, checkpoint));
      this.resetTx = db.transaction((projection: string) => {
        const id = this.tableOf.get(projection);
        if (id !== undefined) {
          const { docs, index } = readModelTables(id);
          this.statements.delete(projection);
          db.exec(`DROP TABLE IF EXISTS ${docs}; DROP TABLE IF EXISTS ${index};`);
          this.unregisterTable.run(id);
        }
        this.deleteCheckpoint.run(projection);
      });
    } catch (error) {
      throw toStoreError(error, `cannot use SQLite database '${db.name}' for read models`);
    }
  }

  async checkpoint(projection: string): Promise<number> {
    return this.run(() => this.checkpointOf.get(projection) ?? 0, `checkpoint of '${projection}' unavailable`);
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    return this.read(() => {
      const found = new Map<string, Doc>();
      const s = this.tables(projection);
      if (!s) return found;
      for (const key of keys) {
        const json = s.getDoc.get(key);
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
    this.assertWritable(`commit of '${projection}'`);
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
    validateQuery(query);
    const limit = query.limit === undefined ? Infinity : Math.max(0, query.limit);
    const { index, indexRange } = query;
    return this.read(() => {
      const s = this.tables(projection);
      if (!s || limit === 0) return [];
      if (!indexRange) {
        const sqlLimit = limit === Infinity ? -1 : limit;
        const after = query.after?.key;
        const rows =
          index !== undefined
            ? after === undefined
              ? s.queryIndex.all(index, sqlLimit)
              : s.queryIndexAfter.all(index, after, sqlLimit)
            : after === undefined
              ? s.queryAll.all(sqlLimit)
              : s.queryAllAfter.all(after, sqlLimit);
        this.examined += rows.length;
        return rows.map(([key, doc]) => ({ key, doc: JSON.parse(doc) as Doc }));
      }
      const found: StoredDoc[] = [];
      for (const [value, key, doc, idx] of this.walk(s, indexRange, query.after)) {
        this.examined++;
        const values = idx === null ? [] : (JSON.parse(idx) as string[]);
        // A document is listed once, at its lowest value in the range.
        if (values.length > 1 && lowestInRange(values, indexRange) !== value) continue;
        if (index !== undefined && !values.includes(index)) continue;
        found.push({ key, doc: JSON.parse(doc) as Doc });
        if (found.length >= limit) break;
      }
      return found;
    }, `query of '${projection}' failed`);
  }

  async count(projection: string, query: CountQuery = {}): Promise<number> {
    validateQuery(query);
    const { index, indexRange } = query;
    return this.read(() => {
      const s = this.tables(projection);
      if (!s) return 0;
      if (indexRange) return index === undefined ? s.countRange.get(indexRange.from, indexRange.to)! : s.countIndexRange.get(indexRange.from, indexRange.to, index)!;
      return index === undefined ? s.countAll.get()! : s.countIndex.get(index)!;
    }, `count of '${projection}' failed`);
  }

  /** SQLite's plan (EXPLAIN QUERY PLAN details) for the statement `count` runs: the index table alone, no documents. */
  countPlan(projection: string, query: CountQuery = {}): string[] {
    validateQuery(query);
    const id = this.run(() => this.tableOf.get(projection), `tables of '${projection}' unavailable`);
    if (id === undefined) return [];
    const sql = querySql(id);
    const { index, indexRange } = query;
    const [text, params]: [string, unknown[]] = indexRange
      ? index === undefined
        ? [sql.countRange, [indexRange.from, indexRange.to]]
        : [sql.countIndexRange, [indexRange.from, indexRange.to, index]]
      : index === undefined
        ? [sql.countAll, []]
        : [sql.countIndex, [index]];
    return this.run(() => this.db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${text}`).all(...params).map((row) => row.detail), `plan of '${projection}' failed`);
  }

  /**
   * Index entries and documents the queries have read since this handle was opened: a query reads
   * about what it returns (the contract suite checks it, with `queryPlan`).
   */
  examined = 0;

  /** SQLite's plan (EXPLAIN QUERY PLAN details) for the statement `query` runs: no 'USE TEMP B-TREE', no full scan of a range. */
  queryPlan(projection: string, query: DocQuery = {}): string[] {
    validateQuery(query);
    const id = this.run(() => this.tableOf.get(projection), `tables of '${projection}' unavailable`);
    if (id === undefined) return [];
    const sql = querySql(id);
    const { index, indexRange, after } = query;
    const [text, params]: [string, unknown[]] = indexRange
      ? rangeResumes(indexRange, after)
        ? [sql.walkRangeAfter, [after!.value, after!.key, indexRange.to]]
        : [sql.walkRange, [indexRange.from, indexRange.to]]
      : index !== undefined
        ? after
          ? [sql.queryIndexAfter, [index, after.key, -1]]
          : [sql.queryIndex, [index, -1]]
        : after
          ? [sql.queryAllAfter, [after.key, -1]]
          : [sql.queryAll, [-1]];
    return this.run(() => this.db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${text}`).all(...params).map((row) => row.detail), `plan of '${projection}' failed`);
  }

  private walk(s: TableStatements, range: { readonly from: string; readonly to: string }, after: DocQuery['after']): IterableIterator<IndexRow> {
    return rangeResumes(range, after) ? s.walkRangeAfter.iterate(after!.value!, after!.key, range.to) : s.walkRange.iterate(range.from, range.to);
  }

  async reset(projection: string): Promise<void> {
    this.assertWritable(`reset of '${projection}'`);
    this.run(() => this.resetTx.immediate(projection), `reset of '${projection}' failed`);
  }

  async projections(): Promise<string[]> {
    return this.run(() => this.listProjections.all(), 'listing projections failed');
  }

  /** The names of the projection's tables (for inspection with SQL), or undefined when it has none yet. */
  tableNames(projection: string): { docs: string; index: string } | undefined {
    const id = this.run(() => this.tableOf.get(projection), `tables of '${projection}' unavailable`);
    return id === undefined ? undefined : readModelTables(id);
  }

  private commitInTransaction(projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint): void {
    const stored = this.checkpointOf.get(projection) ?? 0;
    if (stored !== checkpoint.expected) {
      throw new ConcurrencyError(`projection '${projection}' is at checkpoint ${stored}, not ${checkpoint.expected}; nothing was written`, {
        projection,
        expected: checkpoint.expected,
        actual: stored,
      });
    }
    if (writes.length > 0) {
      const s = this.tables(projection) ?? this.createTables(projection);
      if (s.isEmpty.get() === 1 && uniqueKeys(writes)) load(s, writes);
      else update(s, writes);
    }
    this.upsertCheckpoint.run(projection, checkpoint.next);
  }

  /** The statements over the projection's current tables; undefined when it has none. */
  private tables(projection: string): TableStatements | undefined {
    const id = this.tableOf.get(projection);
    if (id === undefined) {
      this.statements.delete(projection);
      return undefined;
    }
    const cached = this.statements.get(projection);
    if (cached?.id === id) return cached;
    const prepared = prepareTables(this.db, id);
    this.statements.set(projection, prepared);
    return prepared;
  }

  /** Creates the projection's tables (inside the commit's transaction). */
  private createTables(projection: string): TableStatements {
    const id = Number(this.registerTable.run(projection).lastInsertRowid);
    const { docs, index } = readModelTables(id);
    // A rowid table: documents are often kilobytes, and WITHOUT ROWID b-trees suit small rows
    // only (measured: inserts of 1.4 KB documents take about twice as long without the rowid).
    this.db.exec(`
      CREATE TABLE ${docs} (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, idx TEXT);
      CREATE TABLE ${index} (value TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (value, key)) WITHOUT ROWID;
    `);
    const prepared = prepareTables(this.db, id);
    this.statements.set(projection, prepared);
    return prepared;
  }

  /**
   * A read in one transaction: the table lookup and the query see the same snapshot, so a reset
   * by another connection in between (a rebuild dropping the tables) cannot fail the query.
   */
  private read<T>(work: () => T, what: string): T {
    return this.run(() => (this.db.inTransaction ? work() : this.db.transaction(work).deferred()), what);
  }

  /** On a connection opened read-only, nothing is tried: a StoreError says so. */
  private assertWritable(what: string): void {
    if (this.db.readonly) throw new StoreError(`${what} refused: the SQLite database '${this.db.name}' was opened read-only`, { path: this.db.name, readonly: true });
  }

  private run<T>(work: () => T, what: string): T {
    try {
      return work();
    } catch (error) {
      throw toStoreError(error, what);
    }
  }
}

function prepareTables(db: Database, id: number): TableStatements {
  const { docs, index } = readModelTables(id);
  const sql = querySql(id);
  return {
    id,
    isEmpty: db.prepare<[], number>(`SELECT NOT EXISTS (SELECT 1 FROM ${docs})`).pluck(),
    getDoc: db.prepare<[string], string>(`SELECT doc FROM ${docs} WHERE key = ?`).pluck(),
    getIndexValues: db.prepare<[string], string | null>(`SELECT idx FROM ${docs} WHERE key = ?`).pluck(),
    insertDoc: db.prepare<[string, string, string | null]>(`INSERT INTO ${docs} (key, doc, idx) VALUES (?, ?, ?)`),
    upsertDoc: db.prepare<[string, string, string | null]>(
      `INSERT INTO ${docs} (key, doc, idx) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET doc = excluded.doc, idx = excluded.idx`,
    ),
    deleteDoc: db.prepare<[string]>(`DELETE FROM ${docs} WHERE key = ?`),
    insertIndex: db.prepare<[string, string]>(`INSERT OR IGNORE INTO ${index} (value, key) VALUES (?, ?)`),
    deleteIndex: db.prepare<[string, string]>(`DELETE FROM ${index} WHERE value = ? AND key = ?`),
    queryAll: db.prepare<[number], DocRow>(sql.queryAll).raw(true),
    queryAllAfter: db.prepare<[string, number], DocRow>(sql.queryAllAfter).raw(true),
    // The index's primary key (value, key) yields one value's keys in key order: nothing is sorted.
    queryIndex: db.prepare<[string, number], DocRow>(sql.queryIndex).raw(true),
    queryIndexAfter: db.prepare<[string, string, number], DocRow>(sql.queryIndexAfter).raw(true),
    walkRange: db.prepare<[string, string], IndexRow>(sql.walkRange).raw(true),
    walkRangeAfter: db.prepare<[string, string, string], IndexRow>(sql.walkRangeAfter).raw(true),
    countAll: db.prepare<[], number>(sql.countAll).pluck(),
    countIndex: db.prepare<[string], number>(sql.countIndex).pluck(),
    countRange: db.prepare<[string, string], number>(sql.countRange).pluck(),
    countIndexRange: db.prepare<[string, string, string], number>(sql.countIndexRange).pluck(),
  };
}

/** Whether a range query resumes after its cursor (a cursor before the range starts it from the beginning). */
const rangeResumes = (range: { readonly from: string }, after: DocQuery['after']): boolean => after !== undefined && compareCodePoints(after.value!, range.from) >= 0;

/** A document's index values as stored in `idx`: a JSON array, or NULL for none. */
const indexJson = (values: readonly string[] | undefined): string | null => (values && values.length > 0 ? JSON.stringify(values) : null);

function uniqueKeys(writes: readonly DocWrite[]): boolean {
  const seen = new Set<string>();
  for (const write of writes) {
    if (seen.has(write.key)) return false;
    seen.add(write.key);
  }
  return true;
}

/** Writes into empty tables, every key once: plain inserts, nothing to look up or remove. */
function load(s: TableStatements, writes: readonly DocWrite[]): void {
  for (const write of writes) {
    if (write.doc === null) continue;
    const values = write.index;
    s.insertDoc.run(write.key, docToJson(write.doc, write.key), indexJson(values));
    if (values) for (const value of values) s.insertIndex.run(value, write.key);
  }
}

/** Writes over existing documents: each key's old index rows go, then its new document and index rows come. */
function update(s: TableStatements, writes: readonly DocWrite[]): void {
  for (const write of writes) {
    const old = s.getIndexValues.get(write.key);
    if (old) for (const value of JSON.parse(old) as string[]) s.deleteIndex.run(value, write.key);
    if (write.doc === null) {
      if (old !== undefined) s.deleteDoc.run(write.key);
      continue;
    }
    const values = write.index;
    s.upsertDoc.run(write.key, docToJson(write.doc, write.key), indexJson(values));
    if (values) for (const value of values) s.insertIndex.run(value, write.key);
  }
}
