/**
 * The trace a forwarded request carries: each header checked against its grammar
 * (W3C Trace Context, Google's X-Cloud-Trace-Context), sent rebuilt or dropped;
 * taken from the request, else the CloudEvent's tracing extension, else Pub/Sub's
 * googclient_ attributes; the missing one of the two formats derived from the other.
 */
import { parseCloudTraceContext, parseTraceparent, parseTracestate, traceHeadersOf } from '../../../functions/act/forward/trace-headers';
import { parseDelivery } from '../../../functions/parse/delivery';
import type { RawRequest } from '../../../functions/receive/raw-request';
import { loadRequestFixtures, rawOf } from '../../support/fixtures';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TP = `00-${TRACE}-${PARENT}-01`;

// value, what it is taken for (undefined: dropped)
const traceparents: [string, string | undefined][] = [
  [TP, TP],
  [`00-${TRACE}-${PARENT}-00`, `00-${TRACE}-${PARENT}-00`],
  [`  ${TP}  `, TP],
  // A later version: its first fields are read as version 00's and sent as 00.
  [`01-${TRACE}-${PARENT}-01-what-comes-next`, TP],
  [`01-${TRACE}-${PARENT}-01`, TP],
  [`00-${TRACE}-${PARENT}-01-extra`, undefined], // version 00 has nothing after the flags
  [`ff-${TRACE}-${PARENT}-01`, undefined], // version ff is invalid
  [`00-${'0'.repeat(32)}-${PARENT}-01`, undefined],
  [`00-${TRACE}-${'0'.repeat(16)}-01`, undefined],
  [`00-${TRACE.toUpperCase()}-${PARENT}-01`, undefined], // lower-case hex only
  [`00-${TRACE}-${PARENT}`, undefined],
  [`00-${TRACE.slice(1)}-${PARENT}-01`, undefined],
  ['00-abc-def-01', undefined],
  [`${TP}, ${TP}`, undefined], // two traceparent headers, joined by node
  [`${TP}\r\nx-injected: 1`, undefined],
  [`${TP}\nx-injected: 1`, undefined],
  ['', undefined],
];

const tracestates: [string, string | undefined][] = [
  ['congo=t61rcWkgMzE', 'congo=t61rcWkgMzE'],
  ['rojo=00f067aa0ba902b7, congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
  ['rojo=1,,  ,congo=2', 'rojo=1,congo=2'], // empty members allowed, dropped
  ['tenant@vendor=x', 'tenant@vendor=x'],
  ['a=1,a=2', undefined], // duplicate key
  ['Upper=1', undefined],
  ['k=a,b', undefined],
  ['k=', undefined],
  ['k=v ', 'k=v'], // the space is list whitespace, trimmed
  ['k=a=b', undefined],
  ['k=\u00e9', undefined],
  ['k=v\r\nx-injected: 1', undefined],
  [Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','), undefined], // at most 32 members
  [`k=${'v'.repeat(257)}`, undefined], // a value is at most 256 characters
  [Array.from({ length: 3 }, (_, i) => `k${i}=${'v'.repeat(200)}`).join(','), undefined], // over 512 characters: dropped whole
];

const cloudTraces: [string, string | undefined][] = [
  [`${TRACE}/67667974448284343;o=1`, `${TRACE}/67667974448284343;o=1`],
  [`${TRACE}/1;o=0`, `${TRACE}/1;o=0`],
  [`${TRACE}/1`, `${TRACE}/1`],
  [TRACE, TRACE],
  [`${TRACE.toUpperCase()}/007;o=1`, `${TRACE}/7;o=1`], // normalised
  [`${TRACE}/18446744073709551615;o=1`, `${TRACE}/18446744073709551615;o=1`], // the largest uint64
  [`${TRACE}/18446744073709551616;o=1`, undefined],
  [`${TRACE}/0;o=1`, undefined],
  [`${TRACE}/1;o=2`, undefined],
  [`${TRACE}/abc;o=1`, undefined],
  [`${'0'.repeat(32)}/1;o=1`, undefined],
  [`${TRACE}/1;o=1\r\nx-injected: 1`, undefined],
  [`${TRACE}/${'9'.repeat(21)}`, undefined],
  ['abc/1;o=1', undefined],
];

describe('header grammars', () => {
  test.each(traceparents)('traceparent %j', (value, expected) => {
    const t = parseTraceparent(value);
    expect(t && `00-${t.traceId}-${t.parentId}-${t.flags}`).toBe(expected);
  });
  test.each(tracestates)('tracestate %j', (value, expected) => expect(parseTracestate(value)).toBe(expected));
  test.each(cloudTraces)('X-Cloud-Trace-Context %j', (value, expected) => {
    const c = parseCloudTraceContext(value);
    expect(c && `${c.traceId}${c.spanId !== undefined ? `/${c.spanId}` : ''}${c.sampled !== undefined ? `;o=${c.sampled ? 1 : 0}` : ''}`).toBe(expected);
  });
});

const fixture = (name: string) => rawOf(loadRequestFixtures().find((f) => f.name === name)!);
const withHeaders = (raw: RawRequest, headers: Record<string, string>): RawRequest => ({ ...raw, headers: { ...raw.headers, ...headers } });
/** A wrapped push whose message carries these attributes. */
function pushWithAttributes(attributes: Record<string, string>): RawRequest {
  const raw = fixture('D-push-plain');
  const body = JSON.parse(raw.body.toString()) as { message: { attributes: Record<string, string> } };
  body.message.attributes = { ...body.message.attributes, ...attributes };
  return { ...raw, body: Buffer.from(JSON.stringify(body)) };
}
/** A structured CloudEvent carrying the Distributed Tracing extension. */
function structuredWith(extension: Record<string, string>, headers: Record<string, string> = {}): RawRequest {
  const raw = fixture('C-structured-pubsub');
  const body = JSON.parse(raw.body.toString()) as Record<string, unknown>;
  return withHeaders({ ...raw, body: Buffer.from(JSON.stringify({ ...body, ...extension })) }, headers);
}

describe('where the trace comes from', () => {
  const cases: [string, RawRequest, Record<string, string>][] = [
    [
      "the request's own headers, both formats",
      withHeaders(fixture('D-push-plain'), { traceparent: TP, tracestate: 'congo=t61rcWkgMzE', 'x-cloud-trace-context': `${TRACE}/5;o=1` }),
      { traceparent: TP, tracestate: 'congo=t61rcWkgMzE', 'x-cloud-trace-context': `${TRACE}/5;o=1` },
    ],
    [
      'only a traceparent: X-Cloud-Trace-Context derived (span id in decimal, o= from the sampled flag)',
      withHeaders(fixture('D-push-plain'), { traceparent: TP }),
      { traceparent: TP, 'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${PARENT}`).toString()};o=1` },
    ],
    [
      'only X-Cloud-Trace-Context (what older Google front ends send): traceparent derived',
      withHeaders(fixture('D-push-plain'), { 'x-cloud-trace-context': `${TRACE}/67667974448284343;o=0` }),
      { traceparent: `00-${TRACE}-${67667974448284343n.toString(16).padStart(16, '0')}-00`, 'x-cloud-trace-context': `${TRACE}/67667974448284343;o=0` },
    ],
    [
      'X-Cloud-Trace-Context without a span: no traceparent can be made from it',
      withHeaders(fixture('D-push-plain'), { 'x-cloud-trace-context': TRACE }),
      { 'x-cloud-trace-context': TRACE },
    ],
    [
      'a malformed traceparent is dropped with its tracestate; the valid X-Cloud-Trace-Context still goes, and a traceparent made from it',
      withHeaders(fixture('D-push-plain'), { traceparent: '00-abc-def-01', tracestate: 'a=1', 'x-cloud-trace-context': `${TRACE}/1;o=1` }),
      { traceparent: `00-${TRACE}-0000000000000001-01`, 'x-cloud-trace-context': `${TRACE}/1;o=1` },
    ],
    [
      'a malformed tracestate is dropped alone',
      withHeaders(fixture('D-push-plain'), { traceparent: TP, tracestate: 'a=1,a=2' }),
      {
        traceparent: TP,
        'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${PARENT}`).toString()};o=1`,
      },
    ],
    ['nothing valid anywhere: nothing sent', withHeaders(fixture('D-push-plain'), { traceparent: 'garbage', 'x-cloud-trace-context': 'garbage' }), {}],
    ['no trace at all (the Pub/Sub emulator sends none): nothing sent', fixture('D-push-plain'), {}],
    [
      "no trace headers: the CloudEvent's tracing extension",
      structuredWith({ traceparent: TP, tracestate: 'congo=t61rcWkgMzE' }),
      { traceparent: TP, tracestate: 'congo=t61rcWkgMzE', 'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${PARENT}`).toString()};o=1` },
    ],
    [
      'the request headers win over the CloudEvent extension',
      structuredWith({ traceparent: `00-${'1'.repeat(32)}-${PARENT}-01` }, { traceparent: TP }),
      { traceparent: TP, 'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${PARENT}`).toString()};o=1` },
    ],
    [
      "no trace headers: Pub/Sub's googclient_traceparent attribute (client libraries with OpenTelemetry on)",
      pushWithAttributes({ googclient_traceparent: `00-${TRACE}-${PARENT}-00` }),
      { traceparent: `00-${TRACE}-${PARENT}-00`, 'x-cloud-trace-context': `${TRACE}/${BigInt(`0x${PARENT}`).toString()};o=0` },
    ],
    ['a malformed googclient_traceparent is dropped', pushWithAttributes({ googclient_traceparent: `00-${TRACE}-${PARENT}-01\r\nx: 1` }), {}],
  ];
  test.each(cases)('%s', (_name, raw, expected) => expect(traceHeadersOf(parseDelivery(raw))).toEqual(expected));
});
