/** A request for one stage's unit test: an Incoming with a memory log, and a `next` that records whether it ran. */
import { Incoming, requestLogsOf } from '../../functions/receive/incoming';
import type { RawRequest } from '../../functions/receive/raw-request';
import { createLogger, memorySink } from '../../functions/support/logger';
import type { Outcome } from '../../functions/support/outcome';

export function incomingOf(raw: Partial<RawRequest> = {}, signal?: AbortSignal) {
  const sink = memorySink();
  const request: RawRequest = { method: 'POST', path: '/', headers: {}, body: Buffer.alloc(0), ...raw };
  return { request: new Incoming(request, signal, requestLogsOf(createLogger(sink), undefined)), sink };
}

export const PASSED: Outcome = { kind: 'unmatched', event: { type: 't' }, line: { message: 'passed on' } };

export function nextOf(outcome: Outcome | (() => Promise<Outcome>) = PASSED) {
  const next = jest.fn(typeof outcome === 'function' ? outcome : async () => outcome);
  return next;
}
