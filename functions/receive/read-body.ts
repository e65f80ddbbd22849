/**
 * Reads a request body within the receive limits, on both servers: a declared
 * length over the limit is refused before a byte is read, a chunked body as soon
 * as it passes the limit, a slow one at the receive timeout; every byte held
 * counts against the instance's body budget until the answer has gone.
 */
import type { IncomingMessage } from 'http';
import type { Answer } from '../answer/outcome';
import type { BodyBudget } from './body-budget';
import { declaredLength, refusalOfHead, type ReceiveLimits, type Refusal } from './limits';

export type BodyRead = { readonly body: Buffer; readonly release: () => void } | { readonly refusal: Refusal };

const EMPTY: BodyRead = { body: Buffer.alloc(0), release: () => undefined };

const busy = (limits: ReceiveLimits): Refusal => ({ status: 503, reason: `more than ${limits.maxBodyBytesInFlight} bytes of request bodies in flight; try again later` });
const tooLarge = (limits: ReceiveLimits): Refusal => ({ status: 413, reason: `request body larger than ${limits.maxBodyBytes} bytes` });

export function readBody(req: IncomingMessage, limits: ReceiveLimits, budget: BodyBudget): BodyRead | Promise<BodyRead> {
  const refused = refusalOfHead(req, limits);
  if (refused) return { refusal: refused };
  const declared = declaredLength(req);
  // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body.
  if (declared === 0 || (declared === undefined && req.headers['transfer-encoding'] === undefined)) return EMPTY;
  if (declared !== undefined && !budget.reserve(declared)) return { refusal: busy(limits) };
  return new Promise((resolve) => {
    // A declared length is reserved whole above; a chunked body as it arrives.
    let reserved = declared ?? 0;
    let size = 0;
    const chunks: Buffer[] = [];
    const release = () => {
      budget.release(reserved);
      reserved = 0;
    };
    const finish = (result: BodyRead) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      if ('refusal' in result) {
        // Read no more: the answer closes the connection, the rest is never buffered.
        req.pause();
        chunks.length = 0;
        release();
      }
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) return finish({ refusal: tooLarge(limits) });
      if (declared === undefined) {
        if (!budget.reserve(chunk.length)) return finish({ refusal: busy(limits) });
        reserved += chunk.length;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), release });
    const onGone = () => finish({ refusal: { status: 400, reason: 'the client closed the connection before the whole body arrived' } });
    const timer = setTimeout(() => finish({ refusal: { status: 408, reason: `request body not received within ${limits.receiveTimeoutMs / 1000} s` } }), limits.receiveTimeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/** The answer to a refusal: the body was not read (or not all of it), so the connection closes after it. */
export function refusalAnswer(refusal: Refusal): Answer {
  return { status: refusal.status, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, body: `${refusal.reason}\n` };
}
