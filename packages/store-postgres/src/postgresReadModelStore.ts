import type { Pool, PoolClient } from 'pg';
import { compareCodePoints, ConcurrencyError, docToJson, validateCommit, validateQuery } from '@interlend/engine';
import type { CountQuery, Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from '@interlend/engine';
import { toStoreError } from './errors';

type Checkpoint = { readonly expected: number; readonly next: number };
type DocRow = [key: string, doc: string];

/**
 * The document of index row `i`, looked up by its primary key row by row: a correlated scalar
 * subquery is never turned into a join, so the planner cannot choose to hash every document.
 */
const DOC_OF_I = '(SELECT d.doc FROM read_model_docs d WHERE d.projection = $1 AND d.key = i.key)';

/**
 * A range walk: the index's primary key (projection, value, key) read in order from the range's
 * start (or just after the cursor), each document at its lowest value in the range only (a
 * per-row probe of that document's own rows through read_model_index_by_key), stopping at the
 * limit: the earliest of n deadlines costs O(log n), with no Sort, no aggregate over the range,
 * and no hash of the documents. The probes are correlated scalar subqueries on purpose (an
 * EXISTS or a join may be planned as a hash over every row, which reads everything).
 * Parameters: $1 projection, $2 from, $3 to, $4 limit, then the cursor ($5 value, $6 key) and the
 * exact index value, when given.
 */
const RANGED = (range: { fromOp: string; toOp: string }, after: boolean, both: boolean): string => {
  const filter = [
    after ? ' AND (i.value, i.key) > ($5, $6)' : '',
    both ? ` AND (SELECT true FROM read_model_index e WHERE e.projection = $1 AND e.key = i.key AND e.value = $${after ? 7 : 5}) IS NOT NULL` : '',
  ].join('');
  return `SELECT i.key, ${DOC_OF_I} FROM read_model_index i
   WHERE i.projection = $1 AND i.value ${range.fromOp} $2 AND i.value ${range.toOp} $3${filter}
     AND i.value = (SELECT min(j.value) FROM read_model_index j WHERE j.projection = $1 AND j.key = i.key AND j.value ${range.fromOp} $2)
   ORDER BY i.value, i.key LIMIT $4`;
};

/**
 * A count from the index alone (an index-only scan of the primary key (projection, value, key)):
 * an exact value's rows, or the distinct keys of a range (a document with several values in it
 * once), each checked for the exact value too when both are given (a probe of the same key).
 * Parameters: $1 projection, $2 from, $3 to, then the exact value.
 */
const COUNT_RANGE = (range: { fromOp: string; toOp: string }, both: boolean): string =>
  `SELECT count(DISTINCT i.key)::float8 FROM read_model_index i
   WHERE i.projection = $1 AND i.value ${range.fromOp} $2 AND i.value ${range.toOp} $3${
     both ? ' AND EXISTS (SELECT 1 FROM read_model_index e WHERE e.projection = $1 AND e.value = $4 AND e.key = i.key)' : ''
   }`;

/**
 * A range [from, to) whose bounds PostgreSQL can take: text cannot hold U+0000, and callers use it
 * as the least character (`${prefix}\u0000` is "just after prefix"). No stored value holds it, so
 * a bound cut at its first U+0000 keeps the same rows: value >= 'p\0…' is value > 'p', and
 * value < 'p\0…' is value <= 'p'.
 */
function rangeWithoutNul(range: { readonly from: string; readonly to: string }): { from: string; to: string; fromOp: string; toOp: string; exact: boolean } {
  const cut = (text: string) => {
    const at = text.indexOf('\u0000');
    return at < 0 ? { text, cut: false } : { text: text.slice(0, at), cut: true };
  };
  const from = cut(range.from);
  const to = cut(range.to);
  return { from: from.text, to: to.text, fromOp: from.cut ? '>' : '>=', toOp: to.cut ? '<=' : '<', exact: !from.cut && !to.cut };
}

const SQL = {
  checkpoint: 'SELECT position::float8 FROM checkpoints WHERE projection = $1',
  advance: 'UPDATE checkpoints SET position = $3 WHERE projection = $1 AND position = $2',
  start: 'INSERT INTO checkpoints (projection, position) VALUES ($1, $2) ON CONFLICT (projection) DO NOTHING',
  getMany: 'SELECT key, doc FROM read_model_docs WHERE projection = $1 AND key = ANY($2::text[])',
  deleteIndex: 'DELETE FROM read_model_index WHERE projection = $1 AND key = ANY($2::text[])',
  deleteDocs: 'DELETE FROM read_model_docs WHERE projection = $1 AND key = ANY($2::text[])',
  upsertDocs: `INSERT INTO read_model_docs (projection, key, doc) SELECT $1, k, d FROM unnest($2::text[], $3::text[]) AS u(k, d)
               ON CONFLICT (projection, key) DO UPDATE SET doc = excluded.doc`,
  insertIndex: `INSERT INTO read_model_index (projection, value, key) SELECT $1, v, k FROM unnest($2::text[], $3::text[]) AS u(v, k)
                ON CONFLICT DO NOTHING`,
  queryAll: 'SELECT key, doc FROM read_model_docs WHERE projection = $1 ORDER BY key LIMIT $2',
  queryIndex: `SELECT i.key, ${DOC_OF_I} FROM read_model_index i WHERE i.projection = $1 AND i.value = $2 ORDER BY i.key LIMIT $3`,
  queryAllAfter: 'SELECT key, doc FROM read_model_docs WHERE projection = $1 AND key > $3 ORDER BY key LIMIT $2',
  queryIndexAfter: `SELECT i.key, ${DOC_OF_I} FROM read_model_index i WHERE i.projection = $1 AND i.value = $2 AND i.key > $4 ORDER BY i.key LIMIT $3`,
  projections: 'SELECT projection FROM checkpoints UNION SELECT DISTINCT projection FROM read_model_docs ORDER BY 1',
  countAll: 'SELECT count(*)::float8 FROM read_model_docs WHERE projection = $1',
  countIndex: 'SELECT count(*)::float8 FROM read_model_index i WHERE i.projection = $1 AND i.value = $2',
};

/**
 * Read models on PostgreSQL: every projection's documents in `read_model_docs (projection, key,
 * doc)` as JSON text, its index values in `read_model_index (projection, value, key)`, its
 * checkpoint in `checkpoints`. A commit is one transaction: the checkpoint compare-and-set first
 * (a conditional UPDATE, or the first INSERT), then the documents and index rows, with the
 * writes folded to the last one per key and sent as arrays (four statements whatever the size).
 * Read models are disposable: their commits run with `synchronous_commit = off` (a crash can
 * roll a read model back to an earlier checkpoint, together with its documents; the runner
 * catches up again), whatever the server's setting for events. Keys and index values compare
 * by bytes (`COLLATE "C"`).
 */
export class PostgresReadModelStore implements ReadModelStore {
  readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  async checkpoint(projection: string): Promise<number> {
    const rows = await this.rows<[number]>(SQL.checkpoint, [projection], `checkpoint of '${projection}' unavailable`);
    return rows[0]?.[0] ?? 0;
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    const found = new Map<string, Doc>();
    if (keys.length === 0) return found;
    const rows = await this.rows<DocRow>(SQL.getMany, [projection, [...keys]], `read of '${projection}' documents failed`);
    for (const [key, doc] of rows) found.set(key, JSON.parse(doc) as Doc);
    return found;
  }

  async commit(projection: string, writes: readonly DocWrite[], checkpoint: Checkpoint): Promise<void> {
    validateCommit(projection, writes, checkpoint);
    // The last write of each key is what the commit leaves; JSON is made before any connection is used.
    const last = new Map<string, DocWrite>();
    for (const write of writes) {
      last.delete(write.key);
      last.set(write.key, write);
    }
    const keys: string[] = [];
    const deleted: string[] = [];
    const upsertKeys: string[] = [];
    const upsertDocs: string[] = [];
    const indexValues: string[] = [];
    const indexKeys: string[] = [];
    for (const [key, write] of last) {
      keys.push(key);
      if (write.doc === null) {
        deleted.push(key);
        continue;
      }
      upsertKeys.push(key);
      upsertDocs.push(docToJson(write.doc, key));
      for (const value of write.index ?? []) {
        indexValues.push(value);
        indexKeys.push(key);
      }
    }
    await this.transaction(`commit of '${projection}'`, 'BEGIN; SET LOCAL synchronous_commit = off', async (client) => {
      await this.advance(client, projection, checkpoint);
      if (keys.length > 0) await client.query(SQL.deleteIndex, [projection, keys]);
      if (deleted.length > 0) await client.query(SQL.deleteDocs, [projection, deleted]);
      if (upsertKeys.length > 0) await client.query(SQL.upsertDocs, [projection, upsertKeys, upsertDocs]);
      if (indexKeys.length > 0) await client.query(SQL.insertIndex, [projection, indexValues, indexKeys]);
    });
  }

  async query(projection: string, query: DocQuery = {}): Promise<StoredDoc[]> {
    const [text, values] = this.statement(projection, query);
    const rows = await this.rows<DocRow>(text, values, `query of '${projection}' failed`);
    return rows.map(([key, doc]) => ({ key, doc: JSON.parse(doc) as Doc }));
  }

  async count(projection: string, query: CountQuery = {}): Promise<number> {
    const [text, values] = this.countStatement(projection, query);
    const rows = await this.rows<[number]>(text, values, `count of '${projection}' failed`);
    return rows[0]?.[0] ?? 0;
  }

  /** PostgreSQL's plan for `count(projection, query)`, run: EXPLAIN (ANALYZE, FORMAT JSON), for checking that it reads the index alone. */
  explainCount(projection: string, query: CountQuery = {}): Promise<unknown> {
    return this.plan(projection, this.countStatement(projection, query));
  }

  private countStatement(projection: string, query: CountQuery): [string, unknown[]] {
    validateQuery(query);
    const { index, indexRange } = query;
    if (indexRange) {
      const range = rangeWithoutNul(indexRange);
      return [COUNT_RANGE(range, index !== undefined), index === undefined ? [projection, range.from, range.to] : [projection, range.from, range.to, index]];
    }
    return index === undefined ? [SQL.countAll, [projection]] : [SQL.countIndex, [projection, index]];
  }

  /** PostgreSQL's plan for `query`, run: EXPLAIN (ANALYZE, FORMAT JSON), for checking that it walks an index and stops at the limit. */
  explain(projection: string, query: DocQuery = {}): Promise<unknown> {
    return this.plan(projection, this.statement(projection, query));
  }

  /** A statement's plan, run: EXPLAIN (ANALYZE, FORMAT JSON). */
  private async plan(projection: string, [text, values]: [string, unknown[]]): Promise<unknown> {
    const rows = await this.rows<[unknown]>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values, `plan of '${projection}' failed`);
    return rows[0]?.[0];
  }

  private statement(projection: string, query: DocQuery): [string, unknown[]] {
    validateQuery(query);
    const limit = query.limit === undefined ? null : Math.max(0, query.limit);
    const { index, after } = query;
    if (query.indexRange) {
      const range = rangeWithoutNul(query.indexRange);
      // A cursor before the range starts it from its beginning.
      const resume = after !== undefined && compareCodePoints(after.value!, query.indexRange.from) >= 0;
      const values: unknown[] = [projection, range.from, range.to, limit];
      if (resume) values.push(after.value, after.key);
      if (index !== undefined) values.push(index);
      return [RANGED(range, resume, index !== undefined), values];
    }
    if (index !== undefined) return after ? [SQL.queryIndexAfter, [projection, index, limit, after.key]] : [SQL.queryIndex, [projection, index, limit]];
    return after ? [SQL.queryAllAfter, [projection, limit, after.key]] : [SQL.queryAll, [projection, limit]];
  }

  async reset(projection: string): Promise<void> {
    await this.transaction(`reset of '${projection}'`, 'BEGIN', async (client) => {
      await client.query('DELETE FROM read_model_index WHERE projection = $1', [projection]);
      await client.query('DELETE FROM read_model_docs WHERE projection = $1', [projection]);
      await client.query('DELETE FROM checkpoints WHERE projection = $1', [projection]);
    });
  }

  async projections(): Promise<string[]> {
    const rows = await this.rows<[string]>(SQL.projections, [], 'listing projections failed');
    return rows.map(([name]) => name);
  }

  /**
   * The checkpoint's compare-and-set. Two commits from the same checkpoint: the second one's
   * UPDATE waits for the first's row lock and then finds the new position (no row matches);
   * two first commits: the second INSERT waits on the unique index and then does nothing.
   */
  private async advance(client: PoolClient, projection: string, checkpoint: Checkpoint): Promise<void> {
    const updated = await client.query(SQL.advance, [projection, checkpoint.expected, checkpoint.next]);
    if (updated.rowCount === 1) return;
    if (checkpoint.expected === 0) {
      const inserted = await client.query(SQL.start, [projection, checkpoint.next]);
      if (inserted.rowCount === 1) return;
    }
    const actual = (await client.query<[number]>({ text: SQL.checkpoint, values: [projection], rowMode: 'array' })).rows[0]?.[0] ?? 0;
    throw new ConcurrencyError(`projection '${projection}' is at checkpoint ${actual}, not ${checkpoint.expected}; nothing was written`, {
      projection,
      expected: checkpoint.expected,
      actual,
    });
  }

  private async rows<R extends unknown[]>(text: string, values: unknown[], what: string): Promise<R[]> {
    try {
      return (await this.pool.query<R>({ text, values, rowMode: 'array' })).rows;
    } catch (error) {
      throw toStoreError(error, what);
    }
  }

  /** `work` inside a transaction opened with `begin` (one message: 'BEGIN; SET LOCAL ...'), committed, or rolled back on any failure. */
  private async transaction(what: string, begin: string, work: (client: PoolClient) => Promise<void>): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, `${what} failed: no connection`);
    }
    let broken: Error | undefined;
    let committing = false;
    try {
      await client.query(begin);
      await work(client);
      committing = true;
      await client.query('COMMIT');
    } catch (error) {
      if (!committing) {
        try {
          await client.query('ROLLBACK');
        } catch (rollback) {
          broken = rollback as Error;
        }
      } else broken = error as Error;
      throw toStoreError(error, `${what} failed`, committing ? { inDoubt: true } : {});
    } finally {
      client.release(broken);
    }
  }
}
