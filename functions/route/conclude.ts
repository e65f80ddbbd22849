/**
 * The event's outcome from its routes' outcomes: any retry wins (redeliver), then
 * any permanent failure, else handled. At the delivery-attempt limit a retry
 * becomes a rejection: acknowledged and dead-lettered rather than failed once more.
 */
import type { RouterEvent } from '../parse/event';
import { shownId } from '../parse/describe-event';
import type { Outcome, RouteOutcome } from '../support/outcome';

export function conclude(event: RouterEvent, routes: readonly RouteOutcome[], maxAttempts: number | undefined): Outcome {
  const retries = routes.filter((r) => r.status === 'retry');
  const attempt = event.delivery.deliveryAttempt;
  if (retries.length > 0 && !(maxAttempts !== undefined && attempt !== undefined && attempt >= maxAttempts)) {
    return {
      kind: 'retry',
      event,
      routes,
      unavailable: retries.some((r) => r.status === 'retry' && r.unavailable),
      line: { message: `event ${shownId(event.id)} failed and will be redelivered`, fields: { routes } },
    };
  }
  let reason: string | undefined;
  if (retries.length > 0) {
    const failed = retries.map((r) => `${r.route}: ${r.status === 'retry' ? r.reason : ''}`);
    reason = `delivery attempt ${attempt} reached the limit ${maxAttempts}; last failure: ${failed.join('; ')}`;
  } else {
    const permanent = routes.find((r) => r.status === 'permanent');
    if (permanent && permanent.status === 'permanent') reason = `route ${permanent.route}: ${permanent.reason}`;
  }
  if (reason === undefined) return { kind: 'handled', event, routes };
  return {
    kind: 'rejected',
    reason,
    event,
    routes,
    line: { message: `rejected event ${shownId(event.id)} (acknowledged, will not be retried): ${reason}`, fields: { reason, routes } },
  };
}
