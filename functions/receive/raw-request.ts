/** Turns a request (Functions Framework's express one, or node:http's) into the RawRequest every later stage works on. */
import type { IncomingMessage } from 'http';
import type { BodyBudget } from './body-budget';
import { restoreContentType } from './framework-guard';
import type { ReceiveLimits, Refusal } from './limits';
import { readBody, type BodyRead } from './read-body';
import { mediaType } from '../support/media-type';

/** The request exactly as received; kept so nothing is lost and actions can relay it untouched. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /**
   * The body as JSON when the server has parsed it already, exactly as JSON.parse of
   * the UTF-8 body (Functions Framework's JSON parser): parsing it twice was a
   * measurable share of the cost per event. Never modified.
   */
  readonly bodyJson?: unknown;
}

type FrameworkRequest = IncomingMessage & { rawBody?: Buffer; body?: unknown; path?: string };

function joined(all: IncomingMessage['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** A RawRequest from a Node request whose body has been read: shared by both servers. */
export function rawRequestOf(req: IncomingMessage & { path?: string }, body: Buffer, bodyJson?: unknown): RawRequest {
  // Node joins repeated headers itself; only set-cookie stays a list. Without one, the
  // headers are used as they are (never modified later): no copy per request.
  const headers = req.headers['set-cookie'] === undefined ? (req.headers as Record<string, string>) : joined(req.headers);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return { method: req.method ?? 'GET', path: req.path ?? (q >= 0 ? url.slice(0, q) : url), headers, body, ...(bodyJson !== undefined && { bodyJson }) };
}

// The media types Functions Framework's JSON parsers take (body-parser: JSON.parse of the decoded text).
const FRAMEWORK_JSON_TYPES = new Set(['application/json', 'application/cloudevents+json']);

function parsedAsUtf8Json(contentType: string): boolean {
  if (!FRAMEWORK_JSON_TYPES.has(mediaType(contentType))) return false;
  const charset = contentType
    .toLowerCase()
    .split(';')
    .slice(1)
    .map((p) => p.trim())
    .find((p) => p.startsWith('charset='));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset);
}

// A pure function of a header that takes few values (Eventarc and Pub/Sub send one or two): remembered.
const contentTypeVerdicts = new Map<string, boolean>();

/** The framework's parse of the body, when it is exactly JSON.parse of the UTF-8 bytes. */
function frameworkJson(req: FrameworkRequest): unknown {
  if (typeof req.body !== 'object' || req.body === null || Buffer.isBuffer(req.body) || !Buffer.isBuffer(req.rawBody) || req.rawBody.length === 0)
    return undefined;
  const contentType = req.headers['content-type'] ?? '';
  let verdict = contentTypeVerdicts.get(contentType);
  if (verdict === undefined) {
    verdict = parsedAsUtf8Json(contentType);
    if (contentTypeVerdicts.size < 64) contentTypeVerdicts.set(contentType, verdict);
  }
  return verdict ? req.body : undefined;
}

/** A request received: its RawRequest and how to give back the body's bytes once answered; or why it was refused. */
export type Received = { readonly raw: RawRequest; readonly release: () => void } | { readonly refusal: Refusal };

const NOTHING_HELD = () => undefined;

function receivedOf(req: FrameworkRequest, read: BodyRead): Received {
  if ('refusal' in read) return read;
  restoreContentType(req);
  return { raw: rawRequestOf(req, read.body), release: read.release };
}

/**
 * Under Functions Framework the body is read here, within the limits (framework-guard.ts
 * keeps the framework's parsers off it). Only where the guard is not installed (an
 * app.httpHandler in a function of one's own) may a parser have read it already.
 */
export function toRawRequest(req: FrameworkRequest, limits: ReceiveLimits, budget: BodyBudget): Received | Promise<Received> {
  const body = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.isBuffer(req.body) ? req.body : undefined;
  if (body) return { raw: rawRequestOf(req, body, frameworkJson(req)), release: NOTHING_HELD };
  const read = readBody(req, limits, budget);
  return read instanceof Promise ? read.then((r) => receivedOf(req, r)) : receivedOf(req, read);
}
