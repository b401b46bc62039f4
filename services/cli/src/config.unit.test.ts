import { resolveStore } from './config';
import { UsageError, type CliIo } from './io';

const io = (env: Record<string, string> = {}): CliIo => ({ stdout: { write: () => true }, stderr: { write: () => true }, env, cwd: '/work' }) as unknown as CliIo;

describe('resolveStore', () => {
  it('defaults to sqlite:./data/interlend.db under the working directory', () => {
    expect(resolveStore(io(), {})).toEqual({ events: { kind: 'sqlite', path: '/work/data/interlend.db' } });
  });

  it('reads --store, --db as the SQLite shorthand, and --read-models', () => {
    expect(resolveStore(io(), { store: 'postgres://u:p@h/db' })).toEqual({ events: { kind: 'postgres', url: 'postgres://u:p@h/db' } });
    expect(resolveStore(io(), { db: 'x.db' })).toEqual({ events: { kind: 'sqlite', path: '/work/x.db' } });
    expect(resolveStore(io(), { store: 'kurrentdb://h:2113', 'read-models': 'sqlite:rm.db' })).toEqual({
      events: { kind: 'kurrentdb', url: 'kurrentdb://h:2113' },
      readModels: { kind: 'sqlite', path: '/work/rm.db' },
    });
  });

  it('takes a flag over the environment, and the environment over the default', () => {
    expect(resolveStore(io({ INTERLEND_DB: 'env.db' }), { store: 'sqlite:flag.db' }).events).toEqual({ kind: 'sqlite', path: '/work/flag.db' });
    expect(resolveStore(io({ INTERLEND_STORE: 'postgres://h/db' }), { db: 'flag.db' }).events).toEqual({ kind: 'sqlite', path: '/work/flag.db' });
    expect(resolveStore(io({ INTERLEND_STORE: 'postgres://h/db' }), {}).events).toEqual({ kind: 'postgres', url: 'postgres://h/db' });
    expect(resolveStore(io({ INTERLEND_DB: 'env.db', INTERLEND_STORE: '' }), {}).events).toEqual({ kind: 'sqlite', path: '/work/env.db' });
    expect(resolveStore(io({ INTERLEND_STORE: 'kurrentdb://h', INTERLEND_READ_MODELS: 'postgres://h/rm' }), {}).readModels).toEqual({ kind: 'postgres', url: 'postgres://h/rm' });
  });

  it('refuses two names for the store, an unknown scheme, and a KurrentDB log without a read-model store', () => {
    expect(() => resolveStore(io(), { db: 'a.db', store: 'sqlite:b.db' })).toThrow(new UsageError('--db and --store both name the store: give one (--db PATH is --store sqlite:PATH)'));
    expect(() => resolveStore(io({ INTERLEND_DB: 'a.db', INTERLEND_STORE: 'sqlite:b.db' }), {})).toThrow(/INTERLEND_DB and INTERLEND_STORE are both set/);
    expect(() => resolveStore(io(), { store: 'mysql://h/db' })).toThrow(UsageError);
    expect(() => resolveStore(io(), { store: 'kurrentdb://h:2113' })).toThrow(/needs a store for its read models: add --read-models/);
    expect(() => resolveStore(io(), { store: 'kurrentdb://h:2113', 'read-models': 'esdb://h' })).toThrow(/read models cannot live in KurrentDB/);
  });
});
