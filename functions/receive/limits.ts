/**
 * What a request may cost before any work is done for it, on both servers: the
 * size of its head and body, and how long it may take to arrive. Read from the
 * environment before secrets are resolved (readSettingsBeforeSecrets), so a
 * deployment with secret references is bounded from its first request.
 */
import type { IncomingMessage, Server } from 'http';
import type { SettingsBeforeSecrets } from '../config';

export interface ReceiveLimits {
  readonly maxBodyBytes: number;
  readonly maxBodyBytesInFlight: number;
  readonly maxHeaderBytes: number;
  readonly receiveTimeoutMs: number;
}

/**
 * Headers one request may carry: a noWrapper push with writeMetadata brings up to 100
 * attributes plus Pub/Sub's own and those HTTP and Google's front end add (about 30).
 */
export const MAX_HEADERS = 256;

export function receiveLimitsOf(settings: Pick<SettingsBeforeSecrets, keyof ReceiveLimits>): ReceiveLimits {
  return {
    maxBodyBytes: settings.maxBodyBytes,
    // One largest body must always fit.
    maxBodyBytesInFlight: Math.max(settings.maxBodyBytes, settings.maxBodyBytesInFlight),
    maxHeaderBytes: settings.maxHeaderBytes,
    receiveTimeoutMs: settings.receiveTimeoutMs,
  };
}

/** Why a request is answered before (or while) its body is read. */
export interface Refusal {
  readonly status: 400 | 408 | 413 | 431 | 503;
  readonly reason: string;
}

/** The Content-Length a request declares, when it declares a valid one (node has checked it is one number). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Refusals decided from the head alone: nothing of the body has been read. */
export function refusalOfHead(req: IncomingMessage, limits: ReceiveLimits): Refusal | undefined {
  // The server keeps MAX_HEADERS + 1 pairs (see applyToServer): more than MAX_HEADERS means too many.
  if (req.rawHeaders.length > 2 * MAX_HEADERS) return { status: 431, reason: `more than ${MAX_HEADERS} request headers` };
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBodyBytes) return { status: 413, reason: `request body larger than ${limits.maxBodyBytes} bytes` };
  return undefined;
}

/**
 * Node's own bounds on a connection: the head's size (431 past it), the pairs kept,
 * and how long the head and the whole request may take (408). Node times out only
 * a request in progress or a new connection that has sent nothing: an idle
 * keep-alive connection is left to keepAliveTimeout.
 */
export function applyToServer(server: Server, limits: ReceiveLimits): void {
  // Read by node for each new connection's parser (the option of the same name, not in the typings as a property).
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = limits.maxHeaderBytes;
  server.maxHeadersCount = MAX_HEADERS + 1;
  server.headersTimeout = limits.receiveTimeoutMs;
  // A backstop: the body reader answers 408 at receiveTimeoutMs after the head.
  server.requestTimeout = 2 * limits.receiveTimeoutMs + 1000;
}
