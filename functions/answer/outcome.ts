/**
 * What happened to one request, and the HTTP answer that tells Pub/Sub or
 * Eventarc what to do next. Every status here is a redelivery decision:
 * 2xx acknowledges, anything else is redelivered (never 202: the emulator
 * treats it as a nack).
 */
import type { RouterEvent } from '../parse/event';
import type { RouteOutcome } from '../route/dispatch';
import type { Answer } from '../support/http-answer';

export type Outcome =
  /** Every matching route succeeded. */
  | { readonly kind: 'handled'; readonly event: RouterEvent; readonly routes: readonly RouteOutcome[] }
  /** A valid event no route wants: acknowledged. */
  | { readonly kind: 'unmatched'; readonly event: RouterEvent }
  /** Can succeed later: a route failed transiently or timed out. */
  | { readonly kind: 'retry'; readonly event: RouterEvent; readonly routes: readonly RouteOutcome[]; readonly unavailable: boolean }
  /** Can never succeed: acknowledged, the raw request preserved in the log. */
  | { readonly kind: 'rejected'; readonly reason: string; readonly event?: RouterEvent; readonly routes?: readonly RouteOutcome[] }
  /** Not a delivery at all. */
  | { readonly kind: 'not-a-delivery'; readonly status: 400 | 405 | 413 | 415; readonly reason: string };

const JSON_TYPE = { 'content-type': 'application/json' };

/** Combines the routes' outcomes: any retry wins (redeliver), then any permanent failure, else handled. */
export function combine(event: RouterEvent, routes: readonly RouteOutcome[]): Outcome {
  if (routes.length === 0) return { kind: 'unmatched', event };
  const retries = routes.filter((r) => r.status === 'retry');
  if (retries.length > 0) {
    return { kind: 'retry', event, routes, unavailable: retries.some((r) => r.status === 'retry' && r.unavailable) };
  }
  const permanent = routes.find((r) => r.status === 'permanent');
  if (permanent && permanent.status === 'permanent') {
    return { kind: 'rejected', reason: `route ${permanent.route}: ${permanent.reason}`, event, routes };
  }
  return { kind: 'handled', event, routes };
}

export function answerOf(outcome: Outcome): Answer {
  switch (outcome.kind) {
    case 'handled': {
      // Routes that report what they did (an image copied, an object copied) say it in the answer too;
      // 200 and 204 are both acknowledgements.
      const results = outcome.routes.flatMap((r) => (r.status === 'done' && r.result ? [{ route: r.route, ...r.result }] : []));
      if (results.length === 0) return { status: 204, headers: {} };
      return { status: 200, headers: JSON_TYPE, body: JSON.stringify({ acknowledged: true, handled: true, results }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) };
    }
    case 'unmatched':
      return { status: 204, headers: {} };
    case 'retry': {
      const failed = outcome.routes.filter((r) => r.status === 'retry').map((r) => r.route);
      return {
        status: outcome.unavailable ? 503 : 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `retry: route ${failed.join(', ')} failed; the event will be redelivered\n`,
      };
    }
    case 'rejected':
      return {
        status: 200,
        headers: JSON_TYPE,
        body: JSON.stringify({ acknowledged: true, handled: false, reason: outcome.reason, ...(outcome.event?.id !== undefined && { eventId: outcome.event.id }) }),
      };
    case 'not-a-delivery':
      return {
        status: outcome.status,
        headers: { 'content-type': 'text/plain; charset=utf-8', ...(outcome.status === 405 && { allow: 'POST' }) },
        body: `${outcome.reason}\n`,
      };
  }
}
