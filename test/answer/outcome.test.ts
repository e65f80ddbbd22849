/**
 * The one table from outcome kind to answer and severity: every kind, its status
 * (a redelivery decision), body and the severity of its line, as Pub/Sub and an
 * operator reading the log see them.
 */
import { OUTCOMES, answerOf, severityOf, writeLine } from '../../functions/answer/outcome';
import { createLogger, memorySink } from '../../functions/support/logger';
import type { Outcome, OutcomeKind } from '../../functions/support/outcome';
import type { RawRequest } from '../../functions/receive/raw-request';

const event = { id: 'm-1', type: 'google.cloud.pubsub.topic.v1.messagePublished' };
const line = { message: 'the line', fields: { k: 'v' } };
const rejected = { kind: 'rejected', reason: 'route r: bad', event, routes: [{ route: 'r', status: 'permanent', reason: 'bad' }], line } as const;

// kind, outcome, status, body (substring; '' for none), severity of its line (undefined: no line)
const cases: [string, Outcome, number, string, string | undefined][] = [
  ['health, ready', { kind: 'health', ready: true }, 200, 'ok\n', undefined],
  ['health, draining /readyz', { kind: 'health', ready: false }, 503, 'shutting down\n', undefined],
  ['draining', { kind: 'draining' }, 503, 'shutting down\n', undefined],
  ['unauthenticated 401', { kind: 'unauthenticated', status: 401, reason: 'unauthorized' }, 401, 'unauthorized\n', undefined],
  ['unauthenticated 403', { kind: 'unauthenticated', status: 403, reason: 'forbidden' }, 403, 'forbidden\n', undefined],
  ['unauthenticated 503', { kind: 'unauthenticated', status: 503, reason: 'unavailable' }, 503, 'unavailable\n', undefined],
  ['not-a-delivery 400', { kind: 'not-a-delivery', status: 400, reason: 'no envelope', line }, 400, 'no envelope\n', 'WARNING'],
  ['not-a-delivery 413', { kind: 'not-a-delivery', status: 413, reason: 'too big', line }, 413, 'too big\n', 'WARNING'],
  ['unmatched', { kind: 'unmatched', event, line }, 204, '', 'INFO'],
  ['handled, nothing reported', { kind: 'handled', event, routes: [{ route: 'r', status: 'done' }] }, 204, '', undefined],
  [
    'handled with a report',
    { kind: 'handled', event, routes: [{ route: 'r', status: 'done', result: { summary: 'copied' } }] },
    200,
    '"summary":"copied"',
    undefined,
  ],
  ['in-progress', { kind: 'in-progress', event, routes: ['r'], line }, 409, 'in progress on route r\n', 'INFO'],
  [
    'retry, unexpected',
    { kind: 'retry', event, routes: [{ route: 'r', status: 'retry', reason: 'x', unavailable: false }], unavailable: false, line },
    500,
    'retry: route r failed',
    'WARNING',
  ],
  [
    'retry, unavailable',
    { kind: 'retry', event, routes: [{ route: 'r', status: 'retry', reason: 'x', unavailable: true }], unavailable: true, line },
    503,
    'retry: route r failed',
    'WARNING',
  ],
  ['late', { kind: 'late', deadlineMs: 250, line }, 503, 'within the event deadline of 250 ms', 'WARNING'],
  ['rejected', rejected, 200, '"acknowledged":true,"handled":false', 'ERROR'],
  ['dead-letter-unavailable', { kind: 'dead-letter-unavailable', rejected, line }, 503, 'dead-letter topic unavailable\n', 'ERROR'],
  ['internal', { kind: 'internal', line }, 500, 'internal error\n', 'ERROR'],
];

const raw: RawRequest = {
  method: 'POST',
  path: '/',
  headers: { authorization: 'Bearer secret', 'content-type': 'application/json' },
  body: Buffer.from('{"a":1}'),
};

describe('the outcome table', () => {
  it('has a case here for every kind', () => {
    expect(new Set(cases.map(([, o]) => o.kind))).toEqual(new Set(Object.keys(OUTCOMES) as OutcomeKind[]));
  });

  it.each(cases)('%s: answered %#', (_name, outcome, status, body, severity) => {
    const answer = answerOf(outcome);
    expect(answer.status).toBe(status);
    expect(answer.status).not.toBe(202); // the emulator nacks a 202
    if (body === '') expect(answer.body).toBeUndefined();
    else expect(answer.body).toContain(body);
    expect(severityOf(outcome)).toBe(severity);

    const sink = memorySink();
    writeLine(createLogger(sink), raw, outcome);
    // The outcome's own line; the per-route lines after it are route-lines.test.ts's.
    const entries = sink.entries().filter((e) => e['route'] === undefined);
    if (severity === undefined) return expect(entries).toEqual([]);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ severity, message: 'the line', k: 'v' });
  });

  it('a 405 says which method is allowed', () => {
    expect(answerOf({ kind: 'not-a-delivery', status: 405, reason: 'POST only', line }).headers).toMatchObject({ allow: 'POST' });
  });

  it('the lines of rejected and internal outcomes keep the request, credentials removed', () => {
    for (const outcome of [rejected, { kind: 'internal', line } as const]) {
      const sink = memorySink();
      writeLine(createLogger(sink), raw, outcome);
      const request = sink.entries()[0]['request'] as { body: string; headers: Record<string, string> };
      expect(request.body).toBe('{"a":1}');
      expect(JSON.stringify(request.headers)).not.toContain('secret');
    }
  });

  it('a rejected answer names the event; the draining answer closes the connection', () => {
    expect(JSON.parse(answerOf(rejected).body!)).toEqual({ acknowledged: true, handled: false, reason: 'route r: bad', eventId: 'm-1' });
    expect(answerOf({ kind: 'draining' }).headers).toEqual({ connection: 'close' });
  });
});
