/**
 * Idempotency locks in Firestore, shared by every instance. One document per
 * key (named by its SHA-256, as keys may hold `/`), taken in a transaction.
 * `expireAt` is the field to give a Firestore TTL policy, so done entries are
 * deleted by Firestore itself after the TTL.
 *
 * The document holds the holder token of the acquisition that took it; renew,
 * complete and release are transactions that change it only for that holder.
 */
import { createHash, randomUUID } from 'crypto';
import type { DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import type { IdempotencyStore, LockState } from './store';
import { onFirstUse } from '../../support/on-first-use';

export interface FirestoreStoreOptions {
  readonly collection: string;
  readonly projectId?: string;
  /** For tests: a client already made. */
  readonly client?: Firestore;
}

interface LockDocument {
  readonly state?: string;
  readonly holder?: string;
  readonly expireAt?: Date | { toMillis(): number };
}

const millisOf = (at: LockDocument['expireAt']) => (at instanceof Date ? at.getTime() : at?.toMillis());

export function createFirestoreStore(options: FirestoreStoreOptions): IdempotencyStore {
  // Loaded on first use: the Firestore client is heavy and cold start is measured.
  const dbOf = onFirstUse<Firestore>(async () => {
    if (options.client) return options.client;
    const { Firestore: Client } = await import('@google-cloud/firestore');
    return new Client({ ...(options.projectId && { projectId: options.projectId }) });
  });
  const docOf = async (key: string) =>
    (await dbOf()).collection(options.collection).doc(createHash('sha256').update(key).digest('hex'));

  /** Runs `change` in a transaction when `holder` still holds the running lock; false otherwise. */
  async function asHolder(key: string, holder: string, change: (tx: Transaction, doc: DocumentReference) => void): Promise<boolean> {
    const doc = await docOf(key);
    return (await dbOf()).runTransaction(async (tx) => {
      const data = (await tx.get(doc)).data() as LockDocument | undefined;
      if (data?.state !== 'running' || data.holder !== holder) return false;
      change(tx, doc);
      return true;
    });
  }

  return {
    async acquire(key, leaseMs): Promise<LockState> {
      const doc = await docOf(key);
      return (await dbOf()).runTransaction(async (tx): Promise<LockState> => {
        const data = (await tx.get(doc)).data() as LockDocument | undefined;
        const now = Date.now();
        const expireAt = millisOf(data?.expireAt);
        if (data && expireAt !== undefined && expireAt > now && (data.state === 'running' || data.state === 'done')) {
          return { state: data.state };
        }
        const holder = randomUUID();
        tx.set(doc, { key, state: 'running', holder, expireAt: new Date(now + leaseMs), takenAt: new Date(now) });
        return { state: 'acquired', holder };
      });
    },
    renew: (key, holder, leaseMs) => asHolder(key, holder, (tx, doc) => tx.update(doc, { expireAt: new Date(Date.now() + leaseMs) })),
    complete: (key, holder, ttlMs) =>
      asHolder(key, holder, (tx, doc) => tx.set(doc, { key, state: 'done', holder, expireAt: new Date(Date.now() + ttlMs), doneAt: new Date() })),
    release: (key, holder) => asHolder(key, holder, (tx, doc) => tx.delete(doc)),
  };
}
