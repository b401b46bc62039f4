import type { KV } from '@nats-io/kv';

/**
 * A lease in a KV bucket whose entries expire (the bucket's TTL): held by whoever wrote the key
 * last, renewed by writing it again at the revision it holds (compare-and-set), free once it
 * expired or was released. Two holders at once are possible only around an expiry (a holder that
 * stalled longer than the TTL), so a lease here saves work and never guards correctness.
 */
export class KvLease {
  private revision: number | undefined;

  constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly owner: string,
  ) {}

  get held(): boolean {
    return this.revision !== undefined;
  }

  /** Takes the lease or renews it; false when someone else holds it. */
  async acquire(): Promise<boolean> {
    if (this.revision !== undefined) {
      try {
        this.revision = await this.kv.update(this.key, this.owner, this.revision);
        return true;
      } catch {
        this.revision = undefined; // expired and taken, or gone: try to take it afresh
      }
    }
    try {
      this.revision = await this.kv.create(this.key, this.owner);
      return true;
    } catch {
      // Held, perhaps by this owner in an earlier life (a restart within the TTL): take it back.
      const entry = await this.kv.get(this.key);
      if (entry && entry.operation === 'PUT' && entry.string() === this.owner) {
        try {
          this.revision = await this.kv.update(this.key, this.owner, entry.revision);
          return true;
        } catch {
          return false;
        }
      }
      return false;
    }
  }

  /** Gives the lease up (another worker may take it at once). */
  async release(): Promise<void> {
    const revision = this.revision;
    this.revision = undefined;
    if (revision !== undefined) await this.kv.delete(this.key, { previousSeq: revision }).catch(() => undefined);
  }
}
