/**
 * Stage, the last: parse the delivery, find the matching routes, run them (under
 * their idempotency locks where a route asks for one) and conclude the outcome.
 */
import { NotADeliveryError, PayloadError, parseDelivery } from '../parse/delivery';
import { describeUnmatched } from '../parse/describe-event';
import type { RouterEvent } from '../parse/event';
import type { Incoming } from '../receive/incoming';
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import { conclude } from './conclude';
import { dispatch } from './dispatch';
import { guardedDispatch, type IdempotencySettings } from './idempotency/guard';
import type { Route, Router } from './router';

export interface DecideSettings {
  readonly router: Router;
  /** Made when a matching route first needs it: routes from code may be added after start. */
  readonly idempotency: () => IdempotencySettings;
  /** At this delivery attempt a retry becomes a rejection (dead-lettered); unset: retried for ever. */
  readonly maxAttempts: number | undefined;
}

export function decide(settings: DecideSettings): Stage<Incoming, Outcome> {
  return async (request) => decideNow(settings, request);
}

/**
 * decide's work, with no promise made while the matching routes' handlers answer
 * at once: for the synchronous pipeline (answer/handle-sync.ts).
 */
export function decideNow(settings: DecideSettings, request: Incoming): Outcome | Promise<Outcome> {
  let event: RouterEvent;
  try {
    event = parseDelivery(request.raw);
  } catch (err) {
    return refusedDelivery(request, err);
  }
  const log = request.labelWith(event);
  const matching = settings.router.matching(event);
  if (matching.length === 0) {
    return { kind: 'unmatched', event, line: { message: describeUnmatched(event), fields: { eventId: event.id, eventType: event.type, kind: event.kind } } };
  }
  if (matching.some((r) => r.idempotent)) return guarded(settings, request, event, matching);
  const routes = dispatch(event, matching, log, request.signal);
  return routes instanceof Promise ? routes.then((r) => conclude(event, r, settings.maxAttempts)) : conclude(event, routes, settings.maxAttempts);
}

async function guarded(settings: DecideSettings, request: Incoming, event: RouterEvent, matching: Route[]): Promise<Outcome> {
  const result = await guardedDispatch(event, matching, settings.idempotency(), request.log, request.signal);
  if (result.kind === 'ran') return conclude(event, result.routes, settings.maxAttempts);
  return {
    kind: 'in-progress',
    event,
    routes: result.routes,
    line: {
      message: `event ${event.id ?? '(no id)'} is being handled by another delivery; answered 409 to come back later`,
      fields: { routes: result.routes },
    },
  };
}

/** Not a delivery (4xx: the sender's mistake, shown to it), or a delivery whose payload can never parse (acknowledged, preserved). */
function refusedDelivery(request: Incoming, err: unknown): Outcome {
  const { raw } = request;
  if (err instanceof NotADeliveryError) {
    return {
      kind: 'not-a-delivery',
      status: err.status,
      reason: err.message,
      line: { message: `not a delivery: ${err.message}`, fields: { httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status: err.status } } },
    };
  }
  if (err instanceof PayloadError) {
    return {
      kind: 'rejected',
      reason: err.message,
      line: { message: `rejected delivery (acknowledged, will not be retried): ${err.message}`, fields: { reason: err.message } },
    };
  }
  throw err;
}
