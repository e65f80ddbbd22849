/**
 * Keeps a running lock's lease alive while its handler runs, so a redelivery
 * meanwhile answers 409 instead of running the route a second time. Renews a
 * third of a lease apart (two renewals may fail before the lease passes), up to
 * `maxHoldMs` after the lock was taken: a handler still running then ignored its
 * abort and may never stop, and holding its lock forever would keep the event
 * from ever running again, so the lock is let go (a redelivery may then run the
 * route while this one still runs) and that is logged as an ERROR.
 *
 * `stop()` resolves once no renewal is in flight: the lock is settled after it,
 * never beside it. A renewal and a completion of one lock at once contend for its
 * document, and under Firestore's locking the loser waits out a backoff of a
 * second or more, long enough for a short lease to pass and a redelivery to take
 * the lock and run the route again after it had succeeded.
 */
import type { Logger } from '../../support/logger';
import type { IdempotencyStore } from './store';

export interface Heartbeat {
  /** Stops renewing; resolves when the renewal in flight, if any, has finished. */
  stop(): Promise<void>;
}

export interface HeldLock {
  readonly route: string;
  readonly key: string;
  readonly holder: string;
  readonly leaseMs: number;
  readonly takenAt: number;
}

export function keepRenewing(store: IdempotencyStore, lock: HeldLock, maxHoldMs: number, onLost: () => void, log: Logger): Heartbeat {
  let renewing: Promise<void> | undefined;
  let stopped = false;
  const halt = () => {
    stopped = true;
    clearInterval(timer);
  };
  const beat = () => {
    if (renewing || stopped) return;
    renewing = renew().finally(() => (renewing = undefined));
  };
  const renew = async () => {
    if (Date.now() - lock.takenAt >= maxHoldMs) {
      halt();
      log.error(
        `idempotency: route ${lock.route} has not stopped ${Math.round(maxHoldMs / 1000)} s after it started (it was aborted at its deadline); ` +
          `its lock is no longer renewed and lapses within ${Math.round(lock.leaseMs / 1000)} s: a redelivery may then run the route while this run still goes on`,
      );
      return;
    }
    try {
      const held = await store.renew(lock.key, lock.holder, lock.leaseMs);
      if (!held && !stopped) {
        halt();
        log.error(`idempotency: route ${lock.route} lost its lock while running (its lease passed and another delivery took it over); aborting this run`);
        onLost();
      }
    } catch (err) {
      if (!stopped)
        log.warn(
          `idempotency: could not renew the lock of route ${lock.route} (tried again in ${Math.round(lock.leaseMs / 3000)} s): ${(err as Error).message}`,
        );
    }
  };
  const timer = setInterval(beat, Math.max(1, Math.floor(lock.leaseMs / 3)));
  // A heartbeat alone must not keep the process alive: with nothing else pending the handler is gone.
  timer.unref();
  return {
    stop: async () => {
      halt();
      await renewing;
    },
  };
}
