/**
 * The disposition of any failure, ours or foreign. Ours carry it; foreign errors
 * (Node's socket and request errors, Google client errors) are decided here by
 * their codes, and nowhere else. Undefined when nothing in the error says: each
 * caller keeps its own default (the registry client does not retry on a guess,
 * an action redelivers a failure it cannot explain).
 */
import { carriedDisposition, dispositionOfStatus, type Disposition } from './disposition';

// The connection failed or ended early: the peer may answer next time.
const CONNECTION_FAILED = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

// Node (or undici, the forward action's client) refuses to build a request with an invalid header name or value:
// the event makes it so every time.
const UNBUILDABLE = new Set(['ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UNESCAPED_CHARACTERS', 'UND_ERR_INVALID_ARG']);

export function dispositionOfFailure(err: unknown): Disposition | undefined {
  const carried = carriedDisposition(err);
  if (carried !== undefined) return carried;
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
  // A cancellation says nothing about the peer (and its message says "aborted").
  if (name === 'AbortError') return undefined;
  // Google's HTTP clients (Cloud Storage's ApiError) carry the answer's status as `code`; gRPC codes (0-16) are no statuses.
  if (typeof code === 'number' && code >= 100 && code <= 599) return dispositionOfStatus(code);
  if (typeof code === 'string' && UNBUILDABLE.has(code)) return 'permanent';
  if (typeof code === 'string' && CONNECTION_FAILED.has(code)) return 'retry';
  // Node's http client ends a connection reset mid-answer with these words and no code.
  return typeof message === 'string' && /socket hang up|aborted/i.test(message) ? 'retry' : undefined;
}
