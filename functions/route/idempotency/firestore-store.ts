/**
 * Idempotency locks in Firestore, shared by every instance. One document per
 * key (named by its SHA-256, as keys may hold `/`), taken in a transaction.
 * `expireAt` is the field to give a Firestore TTL policy, so done entries are
 * deleted by Firestore itself after the TTL.
 */
import { createHash } from 'crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { IdempotencyStore, LockState } from './store';
import { onFirstUse } from '../../support/on-first-use';

export interface FirestoreStoreOptions {
  readonly collection: string;
  readonly projectId?: string;
  /** For tests: a client already made. */
  readonly client?: Firestore;
}

export function createFirestoreStore(options: FirestoreStoreOptions): IdempotencyStore {
  // Loaded on first use: the Firestore client is heavy and cold start is measured.
  const dbOf = onFirstUse<Firestore>(async () => {
    if (options.client) return options.client;
    const { Firestore: Client } = await import('@google-cloud/firestore');
    return new Client({ ...(options.projectId && { projectId: options.projectId }) });
  });
  const docOf = async (key: string) =>
    (await dbOf()).collection(options.collection).doc(createHash('sha256').update(key).digest('hex'));

  return {
    async acquire(key, leaseMs): Promise<LockState> {
      const doc = await docOf(key);
      const firestore = await dbOf();
      return firestore.runTransaction(async (tx) => {
        const snap = await tx.get(doc);
        const now = Date.now();
        const data = snap.data() as { state?: string; expireAt?: Date | { toMillis(): number } } | undefined;
        const expireAt = data?.expireAt instanceof Date ? data.expireAt.getTime() : data?.expireAt?.toMillis();
        if (data && expireAt !== undefined && expireAt > now && (data.state === 'running' || data.state === 'done')) {
          return data.state;
        }
        tx.set(doc, { key, state: 'running', expireAt: new Date(now + leaseMs), takenAt: new Date(now) });
        return 'acquired' as const;
      });
    },
    async complete(key, ttlMs) {
      await (await docOf(key)).set({ key, state: 'done', expireAt: new Date(Date.now() + ttlMs), doneAt: new Date() });
    },
    async release(key) {
      await (await docOf(key)).delete();
    },
  };
}
