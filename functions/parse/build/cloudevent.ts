/**
 * A CloudEvent of any type as Eventarc or a producer sends it: binary mode (`ce-*`
 * headers, the data as the body), structured mode (`application/cloudevents+json`),
 * or Eventarc's raw Pub/Sub fallback (shape I: the context attributes as the
 * message's attributes, the data as its data). The families' builders (audit log,
 * Cloud Build) are made of this.
 */
import type { RawRequest } from '../../receive/raw-request';

/** The shape that carries it (event.ts's DeliveryShape). */
export type CloudEventMode = 'cloudevent-binary' | 'cloudevent-structured' | 'pubsub-push-cloudevent';

export interface CloudEventSpec {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time?: string;
  readonly subject?: string;
  /** Extension attributes (`ce-servicename`, `ce-database`, ...): lower-case names without `ce-`. */
  readonly extensions?: Readonly<Record<string, string>>;
  /** The data: bytes or text as they are, anything else as JSON. */
  readonly data?: unknown;
  /** Default `application/json` (text and bytes: `text/plain`, `application/octet-stream`). */
  readonly dataContentType?: string;
  /** For the Pub/Sub fallback: the push subscription, `projects/P/subscriptions/S`. */
  readonly subscription?: string;
}

function dataOf(spec: CloudEventSpec): { bytes: Buffer; contentType: string } | undefined {
  const d = spec.data;
  if (d === undefined) return undefined;
  if (Buffer.isBuffer(d)) return { bytes: d, contentType: spec.dataContentType ?? 'application/octet-stream' };
  if (typeof d === 'string') return { bytes: Buffer.from(d), contentType: spec.dataContentType ?? 'text/plain' };
  return { bytes: Buffer.from(JSON.stringify(d)), contentType: spec.dataContentType ?? 'application/json' };
}

/** The context attributes by their CloudEvents names. */
function attributesOf(spec: CloudEventSpec): Record<string, string> {
  return {
    specversion: '1.0',
    id: spec.id,
    type: spec.type,
    source: spec.source,
    ...(spec.time !== undefined && { time: spec.time }),
    ...(spec.subject !== undefined && { subject: spec.subject }),
    ...spec.extensions,
  };
}

export function buildCloudEvent(spec: CloudEventSpec, mode: CloudEventMode = 'cloudevent-binary'): RawRequest {
  const data = dataOf(spec);
  const attributes = attributesOf(spec);
  if (mode === 'cloudevent-binary') {
    const headers: Record<string, string> = { 'content-type': data?.contentType ?? 'application/json' };
    for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = value;
    return { method: 'POST', path: '/', headers, body: data?.bytes ?? Buffer.alloc(0) };
  }
  if (mode === 'cloudevent-structured') {
    const json = data?.contentType.startsWith('application/json') && !Buffer.isBuffer(spec.data) && typeof spec.data !== 'string';
    const event: Record<string, unknown> = {
      ...attributes,
      ...(data && { datacontenttype: data.contentType }),
      ...(data && (json ? { data: spec.data } : { data_base64: data.bytes.toString('base64') })),
    };
    return { method: 'POST', path: '/', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: Buffer.from(JSON.stringify(event)) };
  }
  const message = {
    attributes: Object.fromEntries(Object.entries({ ...attributes, ...(data && { datacontenttype: data.contentType }) }).map(([k, v]) => [`ce-${k}`, v])),
    ...(data && data.bytes.length > 0 && { data: data.bytes.toString('base64') }),
    messageId: spec.id,
    ...(spec.time !== undefined && { publishTime: spec.time }),
  };
  const body = { message, subscription: spec.subscription ?? 'projects/local-project/subscriptions/eventarc-fallback' };
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
}
