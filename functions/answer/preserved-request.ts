/**
 * A request as it is kept for a delivery we acknowledge without handling (an ERROR
 * entry, a dead letter): the headers that matter to replay or diagnose it, never a
 * credential, and the body up to what the sink takes, with its length and sha256 so
 * a copy found elsewhere can be matched.
 */
import { isUtf8 } from 'buffer';
import { createHash } from 'crypto';
import type { RawRequest } from '../receive/raw-request';
import { isCredentialHeader } from '../parse/credential-headers';
import { isAttributeHeader, isNoWrapperPush } from '../parse/envelopes/pubsub-nowrapper';
import { utf8Prefix } from '../support/utf8';

export interface PreservedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text when it is UTF-8, else base64; a prefix when `truncated`. */
  readonly body?: string;
  readonly bodyBase64?: string;
  readonly bodyLength: number;
  readonly bodySha256: string;
  readonly truncated?: true;
}

// Headers that describe the delivery: an allow-list, so a header no one thought of is not kept.
const KEPT_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'user-agent', 'traceparent', 'tracestate', 'x-cloud-trace-context']);
const KEPT_PREFIXES = ['ce-', 'x-goog-pubsub-'];

function isKeptHeader(name: string, noWrapper: boolean): boolean {
  if (isCredentialHeader(name)) return false;
  if (KEPT_HEADERS.has(name)) return true;
  for (const prefix of KEPT_PREFIXES) if (name.startsWith(prefix)) return true;
  // A noWrapper push carries its message attributes as bare headers: they are the message.
  return noWrapper && isAttributeHeader(name);
}

export function preservedHeaders(raw: RawRequest): Record<string, string> {
  const noWrapper = isNoWrapperPush(raw);
  const headers: Record<string, string> = {};
  for (const name in raw.headers) if (isKeptHeader(name, noWrapper)) headers[name] = raw.headers[name]!;
  return headers;
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The body in at most `maxBytes` of JSON: as text when it is UTF-8 and its escaped
 * form fits, else as base64 (4 characters per 3 bytes, never escaped).
 */
function boundedBody(body: Buffer, maxBytes: number): Pick<PreservedRequest, 'body' | 'bodyBase64' | 'truncated'> {
  if (isUtf8(body)) {
    // Escaping (quotes, control characters) grows the text: shrink the prefix in proportion, a few times at most.
    let take = maxBytes;
    for (let attempt = 0; attempt < 4 && take > 0; attempt++) {
      const prefix = utf8Prefix(body, take);
      const text = prefix.toString('utf8');
      const encoded = Buffer.byteLength(JSON.stringify(text)) - 2;
      if (encoded <= maxBytes) return { body: text, ...(prefix.length < body.length && { truncated: true }) };
      take = Math.floor((prefix.length * maxBytes) / encoded) - 16;
    }
  }
  const prefix = body.subarray(0, Math.floor(maxBytes / 4) * 3);
  return { bodyBase64: prefix.toString('base64'), ...(prefix.length < body.length && { truncated: true }) };
}

/** The request as a sink keeps it: `maxBodyBytes` bounds the encoded body (headers are bounded by the server). */
export function preservedRequest(raw: RawRequest, maxBodyBytes: number): PreservedRequest {
  return {
    method: raw.method,
    path: raw.path,
    headers: preservedHeaders(raw),
    ...boundedBody(raw.body, maxBodyBytes),
    bodyLength: raw.body.length,
    bodySha256: sha256(raw.body),
  };
}

/**
 * Body bound for an ERROR entry: Cloud Logging drops an entry over 256 KB, and the
 * entry also holds the message, reason, routes and headers.
 */
export const LOG_BODY_BYTES = 160 * 1024;

/** The raw request as it goes into an ERROR entry: allow-listed headers, the body within the entry's bound. */
export function preservable(raw: RawRequest): PreservedRequest {
  return preservedRequest(raw, LOG_BODY_BYTES);
}
