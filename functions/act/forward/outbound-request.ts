/**
 * What the forward action sends: built from the event alone, so it is a pure
 * function. The bytes are never re-encoded; only header values that HTTP cannot
 * carry as they are get percent-encoded (CloudEvents HTTP binding, 3.1.3.2).
 */
import type { RouterEvent } from '../../parse/event';
import { isAttributeName } from '../../parse/cloudevent-attributes';
import { PermanentError } from '../errors';
import { traceHeadersOf } from './trace-headers';

export interface OutboundRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export type ForwardFormat = 'cloudevent' | 'original';

// Members that are not context attributes, or that travel as Content-Type instead.
const NOT_HEADERS = new Set(['data', 'data_base64', 'datacontenttype']);

/** Header-safe as is: printable ASCII, space and tab. */
const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
/** What a received header could hold (node hands header bytes over as latin1). */
const RECEIVED_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Percent-encodes space, `"`, `%` and everything outside printable ASCII, as UTF-8 bytes. */
export function percentEncodeHeaderValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const keep = byte >= 0x21 && byte <= 0x7e && byte !== 0x22 && byte !== 0x25;
    out += keep ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A value that arrived as a header goes back out byte for byte (as nginx would);
 * one from a structured event or a push is encoded only if HTTP could not carry it.
 */
export function headerValueFor(value: string, receivedAsHeader: boolean): string {
  if (PLAIN_VALUE.test(value)) return value;
  if (receivedAsHeader && RECEIVED_HEADER_VALUE.test(value)) return value;
  return percentEncodeHeaderValue(value);
}

export function binaryCloudEventRequest(event: RouterEvent): OutboundRequest {
  const view = event.delivery.cloudEvent;
  const receivedAsHeaders = event.delivery.shape === 'cloudevent-binary';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(view.attributes)) {
    const key = name.toLowerCase();
    if (NOT_HEADERS.has(key)) continue;
    // Intake refuses such names; an event made in code may still carry one. No retry makes it a header.
    if (!isAttributeName(key))
      throw new PermanentError(`attribute ${JSON.stringify(key.slice(0, 64))} cannot be sent as a ce- header (CloudEvents names are a-z and 0-9)`);
    headers[`ce-${key}`] = headerValueFor(value, receivedAsHeaders);
  }
  // We emit CloudEvents 1.0; a push view may not say so itself.
  headers['ce-specversion'] ??= '1.0';
  if (view.dataContentType !== undefined) headers['content-type'] = headerValueFor(view.dataContentType, receivedAsHeaders);
  return { headers, body: view.data };
}

export function originalRequest(event: RouterEvent): OutboundRequest {
  const raw = event.delivery.raw;
  const headers: Record<string, string> = {};
  const contentType = raw.headers['content-type'];
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { headers, body: raw.body };
}

/**
 * The request for one event; `extra` headers (the route's) win over the event's.
 * The trace goes along, checked and rebuilt (trace-headers.ts), so the target's logs join it.
 */
export function buildOutboundRequest(event: RouterEvent, format: ForwardFormat, extra: Readonly<Record<string, string>>): OutboundRequest {
  const base = format === 'original' ? originalRequest(event) : binaryCloudEventRequest(event);
  // Both build a new object per event: added to in place, not copied.
  const headers = base.headers;
  const trace = traceHeadersOf(event);
  for (const name in trace) headers[name] = trace[name];
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  return { headers, body: base.body };
}
