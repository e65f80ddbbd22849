/** Idempotency locks in this instance's memory: the default; enough for one instance, not shared across them. */
import type { IdempotencyStore, LockState } from './store';

interface Entry {
  state: 'running' | 'done';
  expiresAt: number;
}

export function createMemoryStore(now: () => number = Date.now): IdempotencyStore {
  const entries = new Map<string, Entry>();
  let sweeps = 0;
  // Expired entries are dropped every so often, so the map stays bounded by the TTL.
  const sweep = () => {
    if (++sweeps % 1000 !== 0) return;
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  };
  return {
    async acquire(key, leaseMs): Promise<LockState> {
      sweep();
      const t = now();
      const entry = entries.get(key);
      if (entry && entry.expiresAt > t) return entry.state;
      entries.set(key, { state: 'running', expiresAt: t + leaseMs });
      return 'acquired';
    },
    async complete(key, ttlMs) {
      entries.set(key, { state: 'done', expiresAt: now() + ttlMs });
    },
    async release(key) {
      entries.delete(key);
    },
  };
}
