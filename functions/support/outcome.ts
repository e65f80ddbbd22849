/**
 * Every way one request can end, in one union: what each stage of the pipeline
 * returns (support/pipeline.ts). What each kind means on the wire (status, body)
 * and in the log (severity) is one table, answer/outcome.ts. The union sits in
 * support/ because stages from receive/ on make outcomes, and receive/ sits below
 * parse/ and route/: so an outcome names its event by what it needs of it.
 */

/** An action's report (act/action.ts's ActionResult), as far as the answer shows it. */
export interface RouteResult {
  readonly summary?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What one route did with an event: the answer and the log are made of these.
 * `durationMs`: how long its handler ran, absent when it did not run (its lock was held, say).
 */
export type RouteOutcome =
  | { readonly route: string; readonly status: 'done'; readonly result?: RouteResult; readonly durationMs?: number }
  | { readonly route: string; readonly status: 'retry'; readonly reason: string; readonly unavailable: boolean; readonly durationMs?: number }
  | { readonly route: string; readonly status: 'permanent'; readonly reason: string; readonly durationMs?: number };

/** The parsed event (a RouterEvent at run time), as far as outcomes and their log lines need it. */
export interface OutcomeEvent {
  readonly id?: string;
  readonly type: string;
  /** Pub/Sub's delivery attempt, when the delivery says (each route's line records it). */
  readonly delivery?: { readonly deliveryAttempt?: number };
}

/** The log line that records an outcome, written by answer/record.ts at the severity of its kind. */
export interface OutcomeLine {
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export type Outcome =
  /** GET /healthz or /readyz: `ready` false for /readyz while draining. */
  | { readonly kind: 'health'; readonly ready: boolean }
  /** Shutting down: not admitted, the connection closed. */
  | { readonly kind: 'draining' }
  /** The auth check refused it (it has logged why): 401, 403, or 503 when the certificates are unavailable. */
  | { readonly kind: 'unauthenticated'; readonly status: 401 | 403 | 503; readonly reason: 'unauthorized' | 'forbidden' | 'unavailable' }
  /** Not a delivery at all (or too large to be one). */
  | { readonly kind: 'not-a-delivery'; readonly status: 400 | 405 | 413 | 415; readonly reason: string; readonly line: OutcomeLine }
  /** A valid event no route wants: acknowledged. */
  | { readonly kind: 'unmatched'; readonly event: OutcomeEvent; readonly line: OutcomeLine }
  /** Every matching route succeeded. */
  | { readonly kind: 'handled'; readonly event: OutcomeEvent; readonly routes: readonly RouteOutcome[] }
  /** An idempotent route is running this event in another delivery: come back later. */
  | { readonly kind: 'in-progress'; readonly event: OutcomeEvent; readonly routes: readonly string[]; readonly line: OutcomeLine }
  /** Can succeed later: a route failed transiently or timed out. */
  | {
      readonly kind: 'retry';
      readonly event: OutcomeEvent;
      readonly routes: readonly RouteOutcome[];
      readonly unavailable: boolean;
      readonly line: OutcomeLine;
    }
  /** No answer within the event deadline: redelivered. */
  | { readonly kind: 'late'; readonly deadlineMs: number; readonly line: OutcomeLine }
  /** Can never succeed: acknowledged, the raw request preserved (and dead-lettered when a topic is set). */
  | { readonly kind: 'rejected'; readonly reason: string; readonly event?: OutcomeEvent; readonly routes?: readonly RouteOutcome[]; readonly line: OutcomeLine }
  /** Rejected, but the dead letter could not be published: not acknowledged, so it comes back. */
  | { readonly kind: 'dead-letter-unavailable'; readonly rejected: Outcome & { readonly kind: 'rejected' }; readonly line: OutcomeLine }
  /** A bug of ours: redelivered rather than lost. */
  | { readonly kind: 'internal'; readonly line: OutcomeLine };

export type OutcomeKind = Outcome['kind'];
