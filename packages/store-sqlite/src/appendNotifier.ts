import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';

type Listener = (head: number) => void;

/** Wakes every handle of this process on the same database file when one of them appends. */
export interface AppendNotifier {
  publish(head: number): void;
  subscribe(listener: Listener): () => void;
}

const channels = new Map<string, Set<Listener>>();
let anonymous = 0;

/**
 * The notifier for `db`'s file (its real path, so two spellings of one file share it). An
 * in-memory database is private to its connection and gets a channel of its own. Channels
 * without listeners are dropped.
 */
export function appendNotifier(db: Database): AppendNotifier {
  const key = db.memory ? `memory:${++anonymous}` : fileKey(db.name);
  return {
    publish(head) {
      const listeners = channels.get(key);
      if (listeners) for (const listener of [...listeners]) listener(head);
    },
    subscribe(listener) {
      let listeners = channels.get(key);
      if (!listeners) channels.set(key, (listeners = new Set()));
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && channels.get(key) === listeners) channels.delete(key);
      };
    },
  };
}

function fileKey(name: string): string {
  try {
    return `file:${realpathSync(name)}`;
  } catch {
    return `file:${resolve(name)}`;
  }
}
