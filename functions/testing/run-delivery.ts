/**
 * Runs one delivery through a router in process: the whole pipeline the servers
 * run (limits, auth, parse, routes, idempotency, dead letters, the answer), minus
 * the socket. What comes back is what a user checks: the outcome, the HTTP status
 * Pub/Sub would act on, the body, the log lines, and what each route did.
 */
import type { EventRouter } from '../library';
import type { RouterEvent } from '../parse/event';
import { internalsOf } from '../router-internals';
import type { OutcomeKind, RouteOutcome } from '../support/outcome';
import type { DeliveryRequest } from './deliveries';

/** Pub/Sub takes these as an acknowledgement; anything else is redelivered (docs/delivery.md). */
const ACKNOWLEDGING = new Set([102, 200, 201, 202, 204]);

export interface DeliveryResult {
  /** What the pipeline decided: `handled`, `unmatched`, `retry`, `rejected`, `not-a-delivery`, `unauthenticated`, ... */
  readonly outcome: OutcomeKind;
  readonly status: number;
  /** Whether Pub/Sub would take the answer as an acknowledgement (and not redeliver). */
  readonly acknowledged: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed, when it is JSON. */
  readonly json?: unknown;
  /** Why it was rejected or refused, as the answer says. */
  readonly reason?: string;
  /** The typed event, when the delivery parsed. */
  readonly event?: RouterEvent;
  /** What each matching route did: `done` (with its result), `retry` or `permanent` (with the reason). */
  readonly routes: readonly RouteOutcome[];
  /** Every log line the router wrote meanwhile, parsed (`severity`, `message`, fields). */
  readonly logs: readonly Record<string, unknown>[];
  readonly lines: readonly string[];
}

export interface RunOptions {
  /** Also write the log lines to the router's own sink (stdout by default); off: they are only returned. */
  readonly echo?: boolean;
  /** Aborts the routes' signals, as a client going away would. */
  readonly signal?: AbortSignal;
}

/** Runs `delivery` through `router`; deliveries through one router run one at a time, so each result's lines are its own. */
export async function runDelivery(router: EventRouter, delivery: DeliveryRequest, options: RunOptions = {}): Promise<DeliveryResult> {
  const internals = internalsOf(router);
  const lines: string[] = [];
  const handled = await internals.exclusive(
    (line) => void lines.push(line),
    !options.echo,
    async () => (await internals.app()).handle(delivery, options.signal),
  );
  const { outcome, answer } = handled;
  const body = answer.body ?? '';
  let json: unknown;
  if (answer.headers['content-type']?.startsWith('application/json')) json = JSON.parse(body);
  const reason = 'reason' in outcome && typeof outcome.reason === 'string' ? outcome.reason : undefined;
  return {
    outcome: outcome.kind,
    status: answer.status,
    acknowledged: ACKNOWLEDGING.has(answer.status),
    headers: answer.headers,
    body,
    ...(json !== undefined && { json }),
    ...(reason !== undefined && { reason }),
    ...('event' in outcome && outcome.event && { event: outcome.event as RouterEvent }),
    routes: 'routes' in outcome && outcome.routes ? outcome.routes.filter((r): r is RouteOutcome => typeof r === 'object') : [],
    logs: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    lines,
  };
}
