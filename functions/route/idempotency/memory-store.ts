/**
 * Idempotency locks in this instance's memory: the default; enough for one
 * instance, not shared across them. Bounded in keys and bytes, so a flood of
 * distinct ids cannot grow the heap: when full, the oldest done keys are
 * forgotten first (a redelivery of a forgotten key runs its route again, never
 * while it still runs); running locks are never dropped: with no done key left
 * to forget, a new acquisition fails and the delivery is retried later.
 */
import { randomUUID } from 'crypto';
import type { Logger } from '../../support/logger';
import type { IdempotencyStore, LockState } from './store';

export interface MemoryStoreOptions {
  readonly maxKeys: number;
  /** Approximate: keys' UTF-16 size plus a fixed cost per entry. */
  readonly maxBytes: number;
  readonly log: Logger;
  readonly now?: () => number;
}

interface Entry {
  holder?: string;
  expiresAt: number;
  readonly bytes: number;
}

/** What one entry costs besides its key: the map slot, the entry object, a holder token. */
export const ENTRY_OVERHEAD_BYTES = 200;
/** At most one eviction warning per this long; each says how many keys were forgotten since the last. */
const EVICTION_LOG_INTERVAL_MS = 60_000;

export class StoreFullError extends Error {}

export function createMemoryStore(options: MemoryStoreOptions): IdempotencyStore {
  const now = options.now ?? Date.now;
  const running = new Map<string, Entry>();
  const done = new Map<string, Entry>();
  // Done entries oldest first, so also soonest-expiring first (one TTL). A queue, not the map's own order:
  // a map iterated from its head after many deletions there walks every deleted slot again.
  const completed = new Queue<{ readonly key: string; readonly entry: Entry }>();
  let bytes = 0;
  let forgotten = 0;
  let lastWarnedAt = -Infinity;

  const drop = (map: Map<string, Entry>, key: string, entry: Entry) => {
    map.delete(key);
    bytes -= entry.bytes;
  };
  const full = (adding: number) => running.size + done.size + 1 > options.maxKeys || bytes + adding > options.maxBytes;

  /** The oldest done entry still in the map (queue items of keys dropped since are skipped). */
  function oldestDone(): { readonly key: string; readonly entry: Entry } | undefined {
    for (let item = completed.peek(); item !== undefined; item = completed.peek()) {
      if (done.get(item.key) === item.entry) return item;
      completed.shift();
    }
    return undefined;
  }

  function dropExpiredDone(t: number): void {
    for (let item = oldestDone(); item !== undefined && item.entry.expiresAt <= t; item = oldestDone()) {
      completed.shift();
      drop(done, item.key, item.entry);
    }
  }

  function dropExpiredRunning(t: number): void {
    for (const [key, entry] of running) if (entry.expiresAt <= t) drop(running, key, entry);
  }

  function warnForgotten(t: number): void {
    if (t - lastWarnedAt < EVICTION_LOG_INTERVAL_MS) return;
    options.log.warn(
      `idempotency memory store full (${options.maxKeys} keys or ${options.maxBytes} bytes): forgot ${forgotten} done key(s) before their TTL; ` +
        'a redelivery of a forgotten key runs its route again. Raise IDEMPOTENCY_MEMORY_MAX_KEYS / IDEMPOTENCY_MEMORY_MAX_BYTES or use IDEMPOTENCY_STORE=firestore',
      { idempotencyStore: { keys: running.size + done.size, bytes, forgotten } },
    );
    forgotten = 0;
    lastWarnedAt = t;
  }

  /** Frees room for an entry of `adding` bytes, forgetting the oldest done keys; false when only running locks are left. */
  function makeRoom(adding: number, t: number): boolean {
    dropExpiredDone(t);
    if (full(adding)) dropExpiredRunning(t);
    let evicted = false;
    while (full(adding)) {
      const oldest = oldestDone();
      if (!oldest) return false;
      completed.shift();
      drop(done, oldest.key, oldest.entry);
      forgotten++;
      evicted = true;
    }
    if (evicted) warnForgotten(t);
    return true;
  }

  const holderOf = (key: string, holder: string) => {
    const entry = running.get(key);
    return entry !== undefined && entry.holder === holder ? entry : undefined;
  };

  return {
    async acquire(key, leaseMs): Promise<LockState> {
      const t = now();
      const finished = done.get(key);
      if (finished) {
        if (finished.expiresAt > t) return { state: 'done' };
        drop(done, key, finished);
      }
      const taken = running.get(key);
      if (taken) {
        if (taken.expiresAt > t) return { state: 'running' };
        drop(running, key, taken);
      }
      const size = key.length * 2 + ENTRY_OVERHEAD_BYTES;
      if (!makeRoom(size, t)) throw new StoreFullError(`idempotency memory store full of running locks (${running.size} keys, ${bytes} bytes)`);
      const holder = randomUUID();
      running.set(key, { holder, expiresAt: t + leaseMs, bytes: size });
      bytes += size;
      return { state: 'acquired', holder };
    },
    async renew(key, holder, leaseMs) {
      const entry = holderOf(key, holder);
      if (entry) entry.expiresAt = now() + leaseMs;
      return entry !== undefined;
    },
    async complete(key, holder, ttlMs) {
      const entry = holderOf(key, holder);
      if (!entry) return false;
      running.delete(key);
      const finished = { expiresAt: now() + ttlMs, bytes: entry.bytes };
      done.set(key, finished);
      completed.push({ key, entry: finished });
      return true;
    },
    async release(key, holder) {
      const entry = holderOf(key, holder);
      if (entry) drop(running, key, entry);
      return entry !== undefined;
    },
  };
}

/** First in, first out, O(1) amortized: an array read from a moving head, compacted when half is spent. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): void {
    if (++this.head * 2 >= this.items.length && this.head > 1024) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
