/**
 * Idempotency locks in Firestore, shared by every instance. One document per
 * key (named by its SHA-256, as keys may hold `/`). `expireAt` is the field to
 * give a Firestore TTL policy, so done entries are deleted by Firestore itself
 * after the TTL.
 *
 * The document holds the holder token of the acquisition that took it; renew,
 * complete and release change it only for that holder.
 *
 * Every change is a read, then one write conditioned on what was read (`create`
 * for a document that did not exist, `lastUpdateTime` for one that did), not a
 * transaction. A transaction locks the document from its read to its commit; two
 * of them on one document (redeliveries racing to take a lock, a renewal beside
 * them) abort one, and the client waits a backoff of a second or more before it
 * tries again: long enough for a lease to pass and a redelivery to run the route
 * again (measured on the emulator). A conditional write holds no lock: the loser
 * learns at once that the document changed, reads it again and decides again.
 */
import { createHash, randomUUID } from 'crypto';
import type { DocumentReference, DocumentSnapshot, Firestore, Precondition } from '@google-cloud/firestore';
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

/** gRPC codes of a conditional write whose condition no longer held. */
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
/** Each lost race means another writer changed the document; after this many in a row, give up (the caller retries later). */
const MAX_RACES = 20;

const millisOf = (at: LockDocument['expireAt']) => (at instanceof Date ? at.getTime() : at?.toMillis());

/** Running with its lease not passed, or done and not expired: the lock is not to be taken. */
function heldState(data: LockDocument | undefined): LockState | undefined {
  const expireAt = millisOf(data?.expireAt);
  if (!data || expireAt === undefined || expireAt <= Date.now()) return undefined;
  return data.state === 'running' || data.state === 'done' ? { state: data.state } : undefined;
}

/** The write's condition: the document is still as `seen` (or still absent). */
function unchangedSince(seen: DocumentSnapshot): Precondition & { exists?: boolean } {
  return seen.exists && seen.updateTime ? { lastUpdateTime: seen.updateTime } : { exists: false };
}

function lostRace(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === ALREADY_EXISTS || code === FAILED_PRECONDITION;
}

export class LockContendedError extends Error {}

export function createFirestoreStore(options: FirestoreStoreOptions): IdempotencyStore {
  // Loaded on first use: the Firestore client is heavy and cold start is measured.
  const dbOf = onFirstUse<Firestore>(async () => {
    if (options.client) return options.client;
    const { Firestore: Client } = await import('@google-cloud/firestore');
    return new Client({ ...(options.projectId && { projectId: options.projectId }) });
  });
  const docOf = async (key: string) => (await dbOf()).collection(options.collection).doc(createHash('sha256').update(key).digest('hex'));

  /**
   * Reads the document and lets `decide` answer from it, or name a write to make
   * on the condition that nothing changed since the read; a lost race reads again.
   */
  async function change<T>(
    key: string,
    decide: (data: LockDocument | undefined) => { answer: T; write?: (doc: DocumentReference, seen: DocumentSnapshot) => Promise<unknown> },
  ): Promise<T> {
    const doc = await docOf(key);
    for (let race = 0; race < MAX_RACES; race++) {
      const seen = await doc.get();
      const { answer, write } = decide(seen.data());
      if (!write) return answer;
      try {
        await write(doc, seen);
        return answer;
      } catch (err) {
        if (!lostRace(err)) throw err;
      }
    }
    throw new LockContendedError(`the lock document changed ${MAX_RACES} times while it was being written`);
  }

  /** Changes the running lock only while `holder` holds it; false otherwise. */
  const asHolder = (key: string, holder: string, write: (doc: DocumentReference, seen: DocumentSnapshot) => Promise<unknown>) =>
    change(key, (data) => (data?.state === 'running' && data.holder === holder ? { answer: true, write } : { answer: false }));

  return {
    acquire: (key, leaseMs) =>
      change<LockState>(key, (data) => {
        const held = heldState(data);
        if (held) return { answer: held };
        const holder = randomUUID();
        const now = Date.now();
        const lock = { key, state: 'running', holder, expireAt: new Date(now + leaseMs), takenAt: new Date(now) };
        return {
          answer: { state: 'acquired', holder },
          // An expired lock is replaced whole: `update` of every field, on the condition it is unchanged.
          write: (doc, seen) => (seen.exists ? doc.update({ ...lock, doneAt: null }, unchangedSince(seen)) : doc.create(lock)),
        };
      }),
    renew: (key, holder, leaseMs) => asHolder(key, holder, (doc, seen) => doc.update({ expireAt: new Date(Date.now() + leaseMs) }, unchangedSince(seen))),
    complete: (key, holder, ttlMs) =>
      asHolder(key, holder, (doc, seen) => doc.update({ state: 'done', expireAt: new Date(Date.now() + ttlMs), doneAt: new Date() }, unchangedSince(seen))),
    release: (key, holder) => asHolder(key, holder, (doc, seen) => doc.delete(unchangedSince(seen))),
  };
}
