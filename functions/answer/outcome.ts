/**
 * The one table from outcome kind (support/outcome.ts) to the HTTP answer that
 * tells Pub/Sub or Eventarc what to do next, and to the severity of the log line
 * that records it. Every status here is a redelivery decision: 2xx acknowledges,
 * anything else is redelivered (never 202: the emulator treats it as a nack).
 */
import type { RawRequest } from '../receive/raw-request';
import type { Answer } from '../support/http-answer';
import type { Logger, Severity } from '../support/logger';
import type { Outcome, OutcomeKind } from '../support/outcome';
import { preservable } from './preserved-request';
import { writeRouteLines } from './route-lines';

type Of<K extends OutcomeKind> = Outcome & { readonly kind: K };

interface Row<K extends OutcomeKind> {
  readonly answer: (outcome: Of<K>) => Answer;
  /** Of the outcome's line; none: the kind has no line (or, for `unauthenticated`, the auth check wrote it). */
  readonly severity?: Severity;
  /** The raw request goes into the line (credentials removed): acknowledged but unhandled, nothing is lost. */
  readonly preservesRequest?: boolean;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { 'content-type': 'application/json' };
const text = (status: number, body: string): Answer => ({ status, headers: TEXT, body });

/**
 * Results as JSON, a bigint (an object's size, say) as its digits. JSON.stringify throws on a
 * bigint; a replacer would be called for every key of every answer (forward answers each event
 * with one), so it is used only when the plain call threw.
 */
function resultsJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

export const OUTCOMES: { readonly [K in OutcomeKind]: Row<K> } = {
  health: { answer: (o) => (o.ready ? { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok\n' } : text(503, 'shutting down\n')) },
  draining: { answer: () => ({ status: 503, headers: { connection: 'close' }, body: 'shutting down\n' }) },
  unauthenticated: { answer: (o) => text(o.status, `${o.reason}\n`) },
  'not-a-delivery': {
    answer: (o) => ({ status: o.status, headers: o.status === 405 ? { ...TEXT, allow: 'POST' } : TEXT, body: `${o.reason}\n` }),
    severity: 'WARNING',
  },
  unmatched: { answer: () => ({ status: 204, headers: {} }), severity: 'INFO' },
  handled: {
    answer: (o) => {
      // Routes that report what they did (an image copied, an object copied) say it in the answer too;
      // 200 and 204 are both acknowledgements.
      const results = o.routes.flatMap((r) => (r.status === 'done' && r.result ? [{ route: r.route, ...r.result }] : []));
      if (results.length === 0) return { status: 204, headers: {} };
      return {
        status: 200,
        headers: JSON_TYPE,
        body: resultsJson({ acknowledged: true, handled: true, results }),
      };
    },
  },
  'in-progress': { answer: (o) => text(409, `in progress on route ${o.routes.join(', ')}\n`), severity: 'INFO' },
  retry: {
    answer: (o) => {
      const failed = o.routes.filter((r) => r.status === 'retry').map((r) => r.route);
      return text(o.unavailable ? 503 : 500, `retry: route ${failed.join(', ')} failed; the event will be redelivered\n`);
    },
    severity: 'WARNING',
  },
  late: { answer: (o) => text(503, `no answer within the event deadline of ${o.deadlineMs} ms\n`), severity: 'WARNING' },
  rejected: {
    answer: (o) => ({
      status: 200,
      headers: JSON_TYPE,
      body: JSON.stringify({ acknowledged: true, handled: false, reason: o.reason, ...(o.event?.id !== undefined && { eventId: o.event.id }) }),
    }),
    severity: 'ERROR',
    preservesRequest: true,
  },
  'dead-letter-unavailable': { answer: () => text(503, 'dead-letter topic unavailable\n'), severity: 'ERROR' },
  internal: { answer: () => ({ status: 500, headers: {}, body: 'internal error\n' }), severity: 'ERROR', preservesRequest: true },
};

function rowOf<K extends OutcomeKind>(outcome: Of<K>): Row<K> {
  return OUTCOMES[outcome.kind];
}

export function answerOf(outcome: Outcome): Answer {
  return rowOf(outcome).answer(outcome);
}

export function severityOf(outcome: Outcome): Severity | undefined {
  return rowOf(outcome).severity;
}

/**
 * Writes the line that records `outcome`, at its kind's severity (nothing for a kind
 * without one), then one line per route it ran (route-lines.ts: what metrics count).
 */
export function writeLine(log: Logger, raw: RawRequest, outcome: Outcome): void {
  const row = rowOf(outcome);
  if (row.severity !== undefined && 'line' in outcome) {
    const { message, fields } = outcome.line;
    log.log(row.severity, message, row.preservesRequest ? { ...fields, request: preservable(raw) } : fields);
  }
  writeRouteLines(log, outcome);
}
