/**
 * A Firestore document event with `application/protobuf` data, Eventarc's default
 * for Firestore triggers: the JSON DocumentEventData of firestore-document.ts
 * encoded with the published schema. protobufjs is loaded on first use only.
 */
import type { Type } from 'protobufjs';
import type { RawRequest } from '../../receive/raw-request';
import { FIRESTORE_DESCRIPTOR } from '../payloads/firestore-schema/descriptor';

let documentEventData: Type | undefined;
function schema(): Type {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use: protobufjs stays off every other path
  const { Root } = require('protobufjs/light') as typeof import('protobufjs/light');
  return (documentEventData ??= Root.fromJSON(FIRESTORE_DESCRIPTOR).lookupType('google.events.cloud.firestore.v1.DocumentEventData'));
}

/** RFC 3339 text as google.protobuf.Timestamp (protobufjs takes int64 seconds as a decimal string). */
function timestamp(text: string): { seconds: string; nanos: number } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(text);
  const millis = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(millis)) throw new Error(`not an RFC 3339 timestamp: ${text}`);
  return { seconds: String(Math.floor(millis / 1000)), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

type Json = Record<string, unknown>;

/** A Value in proto3 JSON as protobufjs's fromObject takes it (enums as numbers, timestamps as messages). */
function value(v: Json): Json {
  const out: Json = { ...v };
  if ('nullValue' in v) out['nullValue'] = 0;
  if (typeof v['timestampValue'] === 'string') out['timestampValue'] = timestamp(v['timestampValue']);
  if ('mapValue' in v) out['mapValue'] = { fields: fields(((v['mapValue'] as Json)['fields'] ?? {}) as Json) };
  if ('arrayValue' in v) out['arrayValue'] = { values: (((v['arrayValue'] as Json)['values'] ?? []) as Json[]).map(value) };
  return out;
}

function fields(map: Json): Json {
  const out: Json = {};
  // Field names are the caller's: defined, never assigned, so `__proto__` stays a field.
  for (const [k, v] of Object.entries(map)) Object.defineProperty(out, k, { value: value(v as Json), enumerable: true, writable: true, configurable: true });
  return out;
}

function documentOf(d: Json): Json {
  return {
    ...d,
    ...(d['fields'] !== undefined && { fields: fields(d['fields'] as Json) }),
    ...(typeof d['createTime'] === 'string' && { createTime: timestamp(d['createTime']) }),
    ...(typeof d['updateTime'] === 'string' && { updateTime: timestamp(d['updateTime']) }),
  };
}

/** A DocumentEventData in proto3 JSON as its protobuf encoding. */
export function encodeDocumentEventData(json: Json): Buffer {
  const type = schema();
  const object: Json = {
    ...(json['value'] !== undefined && { value: documentOf(json['value'] as Json) }),
    ...(json['oldValue'] !== undefined && { oldValue: documentOf(json['oldValue'] as Json) }),
    ...(json['updateMask'] !== undefined && { updateMask: json['updateMask'] }),
  };
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

/** The same delivery with its JSON DocumentEventData body as `application/protobuf`. */
export function asProtobuf(raw: RawRequest): RawRequest {
  const body = encodeDocumentEventData(JSON.parse(raw.body.toString('utf8')) as Json);
  return { ...raw, headers: { ...raw.headers, 'content-type': 'application/protobuf' }, body };
}
