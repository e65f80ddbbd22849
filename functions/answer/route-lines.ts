/**
 * One line per route per event, written after the event's own line: what Cloud
 * Logging's log-based metrics count and measure (docs/observability.md). One per
 * route, not one per event with a list of routes, because a log-based metric counts
 * entries and its label extractor reads one value from each: an entry per route is
 * what lets `route` be a label and `durationMs` a distribution per route.
 *
 * The field names are an interface (metric filters and extractors name them):
 * `route`, `outcome`, `attempt` (when the delivery says), `durationMs` (when the
 * handler ran), `reason` (when it failed). Never renamed without docs/observability.md.
 */
import { jsonText, type Logger } from '../support/logger';
import type { Outcome, OutcomeEvent, RouteOutcome } from '../support/outcome';

/** What became of one route's part of the event, as a user counts it. */
export type RouteOutcomeName = 'handled' | 'retried' | 'rejected' | 'in-progress';

/** Pub/Sub's deliveryAttempt (push body, or a messagePublished event's data), when the delivery carries it. */
function attemptOf(event: OutcomeEvent | undefined): number | undefined {
  return event?.delivery?.deliveryAttempt;
}

/**
 * `redelivered`: whether the event's answer makes Pub/Sub deliver it again, so a
 * route that failed is `retried` (even a permanent failure, which will fail again)
 * rather than `rejected` (acknowledged, preserved, dead-lettered).
 */
function nameOf(route: RouteOutcome, redelivered: boolean): RouteOutcomeName {
  if (route.status === 'done') return 'handled';
  return redelivered ? 'retried' : 'rejected';
}

function writeOne(log: Logger, name: RouteOutcomeName, routeName: string, event: OutcomeEvent | undefined, route?: RouteOutcome): void {
  const attempt = attemptOf(event);
  // The members as JSON text, not an object to serialise: this runs for every handled event, and
  // JSON.stringify of an object was most of the line's cost (docs/benchmarks.md). Strings go
  // through jsonText; numbers are finite (a delivery attempt, a rounded duration).
  let members = `,"route":${jsonText(routeName)},"outcome":"${name}"`;
  if (attempt !== undefined && Number.isFinite(attempt)) members += `,"attempt":${attempt}`;
  if (route?.durationMs !== undefined && Number.isFinite(route.durationMs)) members += `,"durationMs":${route.durationMs}`;
  if (route !== undefined && route.status !== 'done') members += `,"reason":${jsonText(route.reason)}`;
  // INFO whatever the outcome: the event's own line says a failure at its severity, so an alert on
  // ERROR entries counts each failure once. The message stays the same for the same outcome (the duration is a field).
  log.logMembers('INFO', `route ${routeName}: ${name}`, members);
}

function writeAll(log: Logger, routes: readonly RouteOutcome[], event: OutcomeEvent | undefined, redelivered: boolean): void {
  for (const route of routes) writeOne(log, nameOf(route, redelivered), route.route, event, route);
}

/** Writes the lines of the routes `outcome` ran (none for an outcome no route took part in). */
export function writeRouteLines(log: Logger, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'handled':
    case 'retry':
      return writeAll(log, outcome.routes, outcome.event, outcome.kind === 'retry');
    case 'rejected':
      if (outcome.routes) writeAll(log, outcome.routes, outcome.event, false);
      return;
    case 'dead-letter-unavailable':
      // Not acknowledged (503): what was to be rejected comes back.
      if (outcome.rejected.routes) writeAll(log, outcome.rejected.routes, outcome.rejected.event, true);
      return;
    case 'in-progress':
      for (const name of outcome.routes) writeOne(log, 'in-progress', name, outcome.event);
      return;
    default:
      return;
  }
}
