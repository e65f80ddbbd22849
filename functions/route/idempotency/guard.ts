/**
 * Idempotency around dispatch. For each idempotent route the lock is taken once,
 * before the handler runs: running elsewhere -> the whole delivery answers 409
 * (Pub/Sub redelivers later); done -> the route is counted done without running;
 * acquired -> the route runs, and the lock is completed on success or released on
 * failure so that a redelivery runs again.
 *
 * The lock is settled only once the handler has really stopped. A handler that
 * outlives its deadline is answered retry at once and aborted, but keeps its lock,
 * renewed by a heartbeat, until it stops: a redelivery meanwhile gets 409, never a
 * second concurrent run. If it succeeds after all, the lock is completed, so the
 * redelivery is acknowledged without running.
 */
import type { Logger } from '../../support/logger';
import type { RouterEvent } from '../../parse/event';
import { runHeld, runRoute, type HeldRun, type RouteOutcome } from '../dispatch';
import type { Route } from '../router';
import { keepRenewing, type HeldLock } from './heartbeat';
import { KeyError, lockKeyOf } from './key';
import type { IdempotencyStore } from './store';
import type { AbortSource } from '../../support/abort-source';

export interface IdempotencySettings {
  readonly store: IdempotencyStore;
  /** How long a done key is remembered. */
  readonly ttlMs: number;
  /** Added to the route's deadline to make the lease of a running lock. */
  readonly leaseMarginMs: number;
  /** How long after it was taken a lock is renewed at most, for a handler that does not stop (see heartbeat.ts). */
  readonly maxHoldMs: number;
}

export type Guarded = { readonly kind: 'in-progress'; readonly routes: readonly string[] } | { readonly kind: 'ran'; readonly routes: RouteOutcome[] };

class LockLost extends Error {}

export async function guardedDispatch(
  event: RouterEvent,
  routes: readonly Route[],
  settings: IdempotencySettings,
  log: Logger,
  signal?: AbortSource,
): Promise<Guarded> {
  const settled: RouteOutcome[] = [];
  const toRun: { route: Route; lock?: HeldLock }[] = [];
  const running: string[] = [];

  for (const route of routes) {
    const spec = route.idempotent;
    if (!spec) {
      toRun.push({ route });
      continue;
    }
    let key: string;
    try {
      key = lockKeyOf(route.name, event, spec);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      settled.push({ route: route.name, status: 'permanent', reason: err.message });
      continue;
    }
    const leaseMs = route.timeoutMs + settings.leaseMarginMs;
    let lock;
    try {
      lock = await settings.store.acquire(key, leaseMs);
    } catch (err) {
      log.error(`idempotency store unavailable for route ${route.name}: ${(err as Error).message}`);
      settled.push({ route: route.name, status: 'retry', reason: 'idempotency store unavailable', unavailable: true });
      continue;
    }
    if (lock.state === 'acquired') {
      toRun.push({ route, lock: { route: route.name, key, holder: lock.holder, leaseMs, takenAt: Date.now() } });
    } else if (lock.state === 'done') {
      settled.push({ route: route.name, status: 'done', result: { summary: 'already done for this key: not run again' } });
    } else {
      running.push(route.name);
    }
  }

  const held = toRun.flatMap((r) => (r.lock ? [r.lock] : []));
  if (running.length > 0) {
    // Nothing runs now: the whole delivery comes back later, when the other run has finished.
    await Promise.all(held.map((lock) => releaseQuietly(settings.store, lock, log)));
    return { kind: 'in-progress', routes: running };
  }
  if (signal?.aborted && held.length > 0) {
    // The event's deadline passed while the locks were taken: it was answered already, so start nothing.
    await Promise.all(held.map((lock) => releaseQuietly(settings.store, lock, log)));
    return { kind: 'ran', routes: [...settled, ...toRun.map(({ route }) => notStarted(route))] };
  }

  const runs: { lock: HeldLock; run: HeldRun; finished: Promise<void> }[] = [];
  const answers = toRun.map(({ route, lock }) => {
    if (!lock) return runRoute(event, route, log, signal);
    const run = runHeld(event, route, log, signal);
    const heartbeat = run.hasStopped()
      ? undefined
      : keepRenewing(settings.store, lock, settings.maxHoldMs, () => run.abort(new LockLost('idempotency lock lost')), log);
    const finished = Promise.resolve(run.stopped).then(async (outcome) => {
      await heartbeat?.stop();
      return settleLock(settings, lock, outcome, log);
    });
    runs.push({ lock, run, finished });
    return run.answer;
  });
  const outcomes = await Promise.all(answers);
  // Locks of handlers that stopped in time are settled before answering, so a redelivery after the answer sees them;
  // a handler still running past its deadline keeps its lock until it stops, after the answer.
  await Promise.all(runs.filter(({ run }) => run.hasStopped()).map(({ finished }) => finished));
  for (const { lock, run } of runs) {
    if (!run.hasStopped())
      log.warn(`idempotency: route ${lock.route} outlived its deadline and was aborted; its lock is kept until it stops, so redeliveries meanwhile get 409`);
  }
  return { kind: 'ran', routes: [...settled, ...outcomes] };
}

function notStarted(route: Route): RouteOutcome {
  return { route: route.name, status: 'retry', reason: 'the event deadline passed before the route started', unavailable: true };
}

/** Completes the lock after success, releases it otherwise; never throws (the heartbeat has stopped). */
async function settleLock(settings: IdempotencySettings, lock: HeldLock, outcome: RouteOutcome, log: Logger): Promise<void> {
  if (outcome.status !== 'done') return releaseQuietly(settings.store, lock, log);
  try {
    if (!(await settings.store.complete(lock.key, lock.holder, settings.ttlMs))) {
      log.error(
        `idempotency: route ${lock.route} succeeded but its lock had been taken over by another delivery (its lease passed): the effect may have happened twice`,
      );
    }
  } catch (err) {
    // The effect happened; the lease will let a later redelivery run it again. Say so.
    log.error(`idempotency: could not record route ${lock.route} as done: ${(err as Error).message}`);
  }
}

async function releaseQuietly(store: IdempotencyStore, lock: HeldLock, log: Logger): Promise<void> {
  try {
    if (!(await store.release(lock.key, lock.holder))) {
      log.warn(`idempotency: route ${lock.route}'s lock had been taken over by another delivery (its lease passed): left to the new holder`);
    }
  } catch (err) {
    log.error(`idempotency: could not release a lock (its lease will expire): ${(err as Error).message}`);
  }
}
