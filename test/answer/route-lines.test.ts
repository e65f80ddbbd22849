/**
 * The per-route lines log-based metrics count: for each outcome that routes took
 * part in, one line per route with its name, what became of it, the delivery
 * attempt and how long it ran; none for outcomes no route took part in.
 */
import { writeRouteLines } from '../../functions/answer/route-lines';
import { createLogger, memorySink } from '../../functions/support/logger';
import type { Outcome } from '../../functions/support/outcome';

const event = { id: 'm-1', type: 'google.cloud.pubsub.topic.v1.messagePublished', delivery: { deliveryAttempt: 4 } };
const noAttempt = { id: 'm-2', type: 'google.cloud.storage.object.v1.finalized', delivery: {} };
const line = { message: 'the line' };
const done = { route: 'copy', status: 'done', durationMs: 12.5 } as const;
const retry = { route: 'forward', status: 'retry', reason: 'target answered 503', unavailable: true, durationMs: 3000 } as const;
const permanent = { route: 'replicate', status: 'permanent', reason: 'no such image', durationMs: 0.25 } as const;

type Row = Record<string, unknown>;
// outcome, the lines' severity and fields (message aside), in order
const cases: [string, Outcome, Row[]][] = [
  [
    'handled, two routes',
    { kind: 'handled', event, routes: [done, { route: 'log', status: 'done', durationMs: 0.004 }] },
    [
      { severity: 'INFO', route: 'copy', outcome: 'handled', attempt: 4, durationMs: 12.5 },
      { severity: 'INFO', route: 'log', outcome: 'handled', attempt: 4, durationMs: 0.004 },
    ],
  ],
  [
    'retry: the failed route is retried, the one that succeeded handled, a permanent one retried too (it comes back)',
    { kind: 'retry', event, routes: [done, retry, permanent], unavailable: true, line },
    [
      { severity: 'INFO', route: 'copy', outcome: 'handled', attempt: 4, durationMs: 12.5 },
      { severity: 'INFO', route: 'forward', outcome: 'retried', attempt: 4, durationMs: 3000, reason: 'target answered 503' },
      { severity: 'INFO', route: 'replicate', outcome: 'retried', attempt: 4, durationMs: 0.25, reason: 'no such image' },
    ],
  ],
  [
    'rejected: permanent and retry-at-the-limit routes are rejected; no attempt known, none written',
    { kind: 'rejected', reason: 'r', event: noAttempt, routes: [permanent, retry], line },
    [
      { severity: 'INFO', route: 'replicate', outcome: 'rejected', durationMs: 0.25, reason: 'no such image' },
      { severity: 'INFO', route: 'forward', outcome: 'rejected', durationMs: 3000, reason: 'target answered 503' },
    ],
  ],
  [
    'dead-letter-unavailable: not acknowledged, so the routes that failed are retried',
    { kind: 'dead-letter-unavailable', rejected: { kind: 'rejected', reason: 'r', event, routes: [permanent], line }, line },
    [{ severity: 'INFO', route: 'replicate', outcome: 'retried', attempt: 4, durationMs: 0.25, reason: 'no such image' }],
  ],
  [
    'in-progress: each route named, no duration (it did not run here)',
    { kind: 'in-progress', event, routes: ['copy'], line },
    [{ severity: 'INFO', route: 'copy', outcome: 'in-progress', attempt: 4 }],
  ],
  [
    'a route whose handler never ran (its lock was held): no duration',
    { kind: 'handled', event, routes: [{ route: 'copy', status: 'done' }] },
    [{ severity: 'INFO', route: 'copy', outcome: 'handled', attempt: 4 }],
  ],
  ['rejected delivery (never parsed): no route, no line', { kind: 'rejected', reason: 'bad base64', line }, []],
  ['unmatched: no line', { kind: 'unmatched', event, line }, []],
  ['not a delivery: no line', { kind: 'not-a-delivery', status: 400, reason: 'x', line }, []],
  ['internal: no line', { kind: 'internal', line }, []],
  ['late: no line (the routes still run; their outcome is not known yet)', { kind: 'late', deadlineMs: 100, line }, []],
];

describe('route lines', () => {
  test.each(cases)('%s', (_name, outcome, expected) => {
    const sink = memorySink();
    writeRouteLines(createLogger(sink), outcome);
    const entries = sink.entries();
    expect(entries.map(({ message: _m, ...rest }) => rest)).toEqual(expected);
    // The message says it to a reader too. All at INFO: the event's own line carries the failure's severity.
    for (const [i, e] of entries.entries())
      expect(e['message']).toMatch(new RegExp(`^route ${String(expected[i]['route'])}: ${String(expected[i]['outcome'])}`));
  });

  test('the duration is a JSON number, the attempt an integer: what a distribution metric and a label extractor read', () => {
    const sink = memorySink();
    writeRouteLines(createLogger(sink), { kind: 'handled', event, routes: [done] });
    expect(sink.lines[0]).toMatch(/"attempt":4,"durationMs":12\.5/);
  });
});
