/**
 * Idempotency around dispatch. For each idempotent route the lock is taken once,
 * before the handler runs: running elsewhere -> the whole delivery answers 409
 * (Pub/Sub redelivers later); done -> the route is counted done without running;
 * acquired -> the route runs, and the lock is completed on success or released on
 * failure so that a redelivery runs again.
 */
import type { Logger } from '../../answer/logger';
import type { RouteOutcome } from '../../answer/outcome';
import type { RouterEvent } from '../../parse/event';
import { requestContext } from '../../receive/request-context';
import type { Route } from '../router';
import { KeyError, keyOf, type KeySpec } from './key';
import type { IdempotencyStore } from './store';

export interface IdempotencySettings {
  readonly store: IdempotencyStore;
  /** How long a done key is remembered. */
  readonly ttlMs: number;
  /** Added to the route's deadline to make the lease of a running lock. */
  readonly leaseMarginMs: number;
}

export type Guarded = { readonly kind: 'in-progress'; readonly routes: readonly string[] } | { readonly kind: 'ran'; readonly routes: RouteOutcome[] };

export async function guardedDispatch(
  event: RouterEvent,
  routes: readonly Route[],
  specOf: (route: Route) => KeySpec | undefined,
  settings: IdempotencySettings,
  run: (routes: readonly Route[]) => RouteOutcome[] | Promise<RouteOutcome[]>,
  log: Logger,
): Promise<Guarded> {
  const settled: RouteOutcome[] = [];
  const toRun: Route[] = [];
  const acquired = new Map<string, string>(); // route name -> lock key
  const running: string[] = [];
  const held = requestContext.getStore()?.heldLocks;

  for (const route of routes) {
    const spec = specOf(route);
    if (!spec) {
      toRun.push(route);
      continue;
    }
    let lock: string;
    try {
      lock = `${route.name}\u0000${keyOf(event, spec)}`;
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      settled.push({ route: route.name, status: 'permanent', reason: err.message });
      continue;
    }
    let state;
    try {
      state = await settings.store.acquire(lock, route.timeoutMs + settings.leaseMarginMs);
    } catch (err) {
      log.error(`idempotency store unavailable for route ${route.name}: ${(err as Error).message}`);
      settled.push({ route: route.name, status: 'retry', reason: 'idempotency store unavailable', unavailable: true });
      continue;
    }
    if (state === 'acquired') {
      acquired.set(route.name, lock);
      held?.add(lock);
      toRun.push(route);
    } else if (state === 'done') {
      settled.push({ route: route.name, status: 'done', result: { summary: 'already done for this key: not run again' } });
    } else {
      running.push(route.name);
    }
  }

  if (running.length > 0) {
    // Nothing runs now: the whole delivery comes back later, when the other run has finished.
    await Promise.all([...acquired.values()].map((lock) => releaseQuietly(settings.store, lock, log, held)));
    return { kind: 'in-progress', routes: running };
  }

  const outcomes = toRun.length > 0 ? await run(toRun) : [];
  await Promise.all(
    outcomes.map(async (outcome) => {
      const lock = acquired.get(outcome.route);
      if (lock === undefined) return;
      if (outcome.status === 'done') {
        try {
          await settings.store.complete(lock, settings.ttlMs);
          held?.delete(lock);
        } catch (err) {
          // The effect happened; the lease will let a later redelivery run it again. Say so.
          log.error(`idempotency: could not record route ${outcome.route} as done: ${(err as Error).message}`);
        }
      } else {
        await releaseQuietly(settings.store, lock, log, held);
      }
    }),
  );
  return { kind: 'ran', routes: [...settled, ...outcomes] };
}

async function releaseQuietly(store: IdempotencyStore, lock: string, log: Logger, held?: Set<string>): Promise<void> {
  try {
    await store.release(lock);
    held?.delete(lock);
  } catch (err) {
    log.error(`idempotency: could not release a lock (its lease will expire): ${(err as Error).message}`);
  }
}
