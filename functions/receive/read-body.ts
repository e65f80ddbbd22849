/**
 * Reads a request body within the receive limits, on both servers: a declared
 * length over the limit is refused before a byte is read, a chunked body as soon
 * as it passes the limit, a slow one at the receive timeout; every byte held
 * counts against the instance's body budget until the answer has gone.
 */
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { Answer } from '../support/http-answer';
import type { BodyBudget } from './body-budget';
import { declaredLength, refusalOfHead, type ReceiveLimits, type Refusal } from './limits';

export type BodyRead = { readonly body: Buffer; readonly release: () => void } | { readonly refusal: Refusal };

const EMPTY: BodyRead = { body: Buffer.alloc(0), release: () => undefined };

const busy = (limits: ReceiveLimits): Refusal => ({
  status: 503,
  reason: `more than ${limits.maxBodyBytesInFlight} bytes of request bodies in flight; try again later`,
});
const tooLarge = (limits: ReceiveLimits): Refusal => ({ status: 413, reason: `request body larger than ${limits.maxBodyBytes} bytes` });

/**
 * Every piece node hands over is an object and an event: a body of one-byte chunks would
 * cost far more CPU and memory than its length says. Past this many pieces, a body whose
 * pieces average under MIN_PIECE_BYTES is refused (network reads of real clients are far larger).
 */
const FREE_PIECES = 256;
const MIN_PIECE_BYTES = 256;
/** What a kept piece costs beyond its bytes (a Buffer object and its slot). */
const PIECE_OVERHEAD_BYTES = 128;
const tooFragmented: Refusal = { status: 400, reason: `request body in too many pieces (under ${MIN_PIECE_BYTES} bytes each on average)` };

export function readBody(req: IncomingMessage, limits: ReceiveLimits, budget: BodyBudget): BodyRead | Promise<BodyRead> {
  const refused = refusalOfHead(req, limits);
  if (refused) return { refusal: refused };
  const declared = declaredLength(req);
  // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body.
  if (declared === 0 || (declared === undefined && req.headers['transfer-encoding'] === undefined)) return EMPTY;
  if (declared !== undefined && !budget.reserve(declared)) return { refusal: busy(limits) };
  return new Promise((resolve) => {
    // A declared length is reserved whole above; a chunked body piece by piece.
    let reserved = declared ?? 0;
    // A declared length is copied into one buffer of that length (node's pieces are slices of
    // its reads); a chunked body is kept as its pieces, each counted with its object's overhead.
    let buffer: Buffer | undefined;
    let pieces: Buffer[] = [];
    let size = 0;
    let count = 0;
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
        buffer = undefined;
        pieces = [];
        release();
      }
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limits.maxBodyBytes) return finish({ refusal: tooLarge(limits) });
      if (++count > FREE_PIECES && size < count * MIN_PIECE_BYTES) return finish({ refusal: tooFragmented });
      if (declared === undefined) {
        if (!budget.reserve(chunk.length + PIECE_OVERHEAD_BYTES)) return finish({ refusal: busy(limits) });
        reserved += chunk.length + PIECE_OVERHEAD_BYTES;
        pieces.push(chunk);
      } else if (count === 1 && chunk.length === declared) {
        // The usual body: one piece, kept as it is.
        pieces.push(chunk);
      } else {
        buffer ??= Buffer.allocUnsafe(declared);
        chunk.copy(buffer, size);
      }
      size += chunk.length;
    };
    const onEnd = () => finish({ body: buffer ?? (pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size)), release });
    const onGone = () => finish({ refusal: { status: 400, reason: 'the client closed the connection before the whole body arrived' } });
    const timer = setTimeout(
      () => finish({ refusal: { status: 408, reason: `request body not received within ${limits.receiveTimeoutMs / 1000} s` } }),
      limits.receiveTimeoutMs,
    );
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/** The answer to a refusal: the body was not read (or not all of it), so the connection closes after it. */
function refusalAnswer(refusal: Refusal): Answer {
  return { status: refusal.status, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, body: `${refusal.reason}\n` };
}

/** How long a refused connection stays half-open so the client reads the answer. */
const LINGER_MS = 2000;

/**
 * Answers a refusal and closes the connection without reading the rest of the body.
 * Closing a socket with unread bytes makes the kernel reset it, and a reset can
 * destroy the answer before the client has read it: so the answer goes with a FIN
 * and what still arrives is dropped unbuffered (as node does with any body nobody
 * reads, and nginx's lingering close) for at most LINGER_MS; then the socket is destroyed.
 */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  const socket = req.socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  // Flowing with no 'data' listener: each piece is dropped as it comes, nothing is held.
  req.removeAllListeners('data');
  req.resume();
  // node calls destroySoon once a `connection: close` answer has been written.
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
  const answer = refusalAnswer(refusal);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/**
 * A client that sends `Expect: 100-continue` waits for our word before sending the body:
 * a head already refused gets the refusal instead of node's automatic 100 Continue.
 */
export function refuseBeforeContinue(server: Server, limits: ReceiveLimits): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusalOfHead(req, limits);
    if (refused) return sendRefusal(req, res, refused);
    res.writeContinue();
    server.emit('request', req, res);
  });
}
