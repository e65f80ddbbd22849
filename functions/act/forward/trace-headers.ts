/**
 * The trace a forwarded request carries, so the target's logs and spans join the
 * trace the event came in with: W3C `traceparent` / `tracestate` and Google's
 * `X-Cloud-Trace-Context`. Every value is the sender's choice, so each is checked
 * against its grammar as a whole and sent rebuilt from the parts that matched:
 * a malformed value is dropped, never relayed, and nothing else of the incoming
 * request goes out with it.
 *
 * Where the trace comes from, first found wins:
 *   1. the request's own headers (on Cloud Run the front end sets both, starting a
 *      trace when the sender sent none; the service's log lines use the same one);
 *   2. the CloudEvent's Distributed Tracing extension attributes (`traceparent`,
 *      `tracestate`; a binary CloudEvent carries them as `ce-traceparent`);
 *   3. the Pub/Sub message's `googclient_traceparent` / `googclient_tracestate`
 *      attributes, which Google's client libraries add when the publisher enables
 *      OpenTelemetry tracing.
 * When only one of `traceparent` and `X-Cloud-Trace-Context` is known, the other is
 * derived from it, so a target that reads either one joins the trace.
 */
import type { RouterEvent } from '../../parse/event';

export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  /** Two hex digits; bit 0 is "sampled". */
  readonly flags: string;
}

// Version 00 is exactly 55 characters; a later version may add fields after a '-' (W3C Trace Context, 3.2 and 4.3).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/;
const ALL_ZERO = /^0+$/;

/** A traceparent that follows W3C Trace Context, or undefined. */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined || value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, more] = m;
  if (version === 'ff' || (version === '00' && more !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

/** Sent as version 00, the one this service knows (W3C: a later version's first fields are read as 00's). */
export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.parentId}-${t.flags}`;
}

// W3C Trace Context 3.3: keys `simple` or `tenant@system`; values printable ASCII but ',' and '=', not ending in a space.
const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE_MEMBERS = 32;
/** What W3C asks every hop to pass on at least; longer ones are dropped rather than cut. */
const MAX_TRACESTATE_CHARS = 512;

/** A tracestate rebuilt from its members when every one is well formed (no duplicate keys), or undefined. */
export function parseTracestate(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_TRACESTATE_CHARS * 2) return undefined;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const part of value.split(',')) {
    const member = part.trim();
    if (member === '') continue; // empty list members are allowed, and dropped
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const val = member.slice(eq + 1);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(val) || keys.has(key)) return undefined;
    keys.add(key);
    members.push(`${key}=${val}`);
  }
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return undefined;
  const joined = members.join(',');
  return joined.length <= MAX_TRACESTATE_CHARS ? joined : undefined;
}

export interface CloudTraceContext {
  /** 32 hex digits, lower case. */
  readonly traceId: string;
  /** The span id in decimal (an unsigned 64-bit integer), when given. */
  readonly spanId?: string;
  /** `o=1`: traced (sampled), `o=0`: not; absent when not given. */
  readonly sampled?: boolean;
}

// TRACE_ID/SPAN_ID;o=OPTIONS, SPAN_ID and ;o= optional. 20 digits at most, so the range check below stays cheap.
const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/([0-9]{1,20}))?(?:;o=([01]))?$/;
const MAX_UINT64 = 18446744073709551615n;

export function parseCloudTraceContext(value: string | undefined): CloudTraceContext | undefined {
  if (value === undefined) return undefined;
  const m = CLOUD_TRACE.exec(value.trim());
  if (!m) return undefined;
  const [, traceId, span, options] = m;
  if (ALL_ZERO.test(traceId)) return undefined;
  let spanId: string | undefined;
  if (span !== undefined) {
    const n = BigInt(span);
    if (n === 0n || n > MAX_UINT64) return undefined;
    spanId = n.toString();
  }
  return {
    traceId: traceId.toLowerCase(),
    ...(spanId !== undefined && { spanId }),
    ...(options !== undefined && { sampled: options === '1' }),
  };
}

export function formatCloudTraceContext(c: CloudTraceContext): string {
  const span = c.spanId !== undefined ? `/${c.spanId}` : '';
  const options = c.sampled !== undefined ? `;o=${c.sampled ? 1 : 0}` : '';
  return `${c.traceId}${span}${options}`;
}

function cloudTraceFrom(t: TraceParent): CloudTraceContext {
  return { traceId: t.traceId, spanId: BigInt(`0x${t.parentId}`).toString(), sampled: (parseInt(t.flags, 16) & 1) === 1 };
}

/** Undefined without a span id: a traceparent needs a parent. */
function traceparentFrom(c: CloudTraceContext): TraceParent | undefined {
  if (c.spanId === undefined) return undefined;
  return { traceId: c.traceId, parentId: BigInt(c.spanId).toString(16).padStart(16, '0'), flags: c.sampled ? '01' : '00' };
}

/** One source's trace headers as they arrived, unchecked. */
interface Carried {
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly cloudTrace?: string;
}

/** The headers to send for one source, or undefined when it carries no valid trace. */
function headersFrom(source: Carried): Record<string, string> | undefined {
  const w3c = parseTraceparent(source.traceparent);
  const google = parseCloudTraceContext(source.cloudTrace);
  if (!w3c && !google) return undefined;
  const parent = w3c ?? (google && traceparentFrom(google));
  const headers: Record<string, string> = {};
  if (parent) {
    headers['traceparent'] = formatTraceparent(parent);
    // A tracestate belongs to its traceparent: without a valid one as received, none is sent.
    const state = w3c ? parseTracestate(source.tracestate) : undefined;
    if (state !== undefined) headers['tracestate'] = state;
  }
  headers['x-cloud-trace-context'] = formatCloudTraceContext(google ?? cloudTraceFrom(w3c!));
  return headers;
}

/** The trace headers a forwarded request carries for `event`; empty when no source holds a valid trace. */
export function traceHeadersOf(event: RouterEvent): Record<string, string> {
  const { raw, cloudEvent, attributes } = event.delivery;
  return (
    headersFrom({ traceparent: raw.headers['traceparent'], tracestate: raw.headers['tracestate'], cloudTrace: raw.headers['x-cloud-trace-context'] }) ??
    headersFrom({ traceparent: cloudEvent.attributes['traceparent'], tracestate: cloudEvent.attributes['tracestate'] }) ??
    headersFrom({ traceparent: attributes['googclient_traceparent'], tracestate: attributes['googclient_tracestate'] }) ??
    {}
  );
}
