/**
 * Storage object changes, from any carrier: Eventarc's StorageObjectData, a Pub/Sub
 * notification (JSON_API_V1 or NONE), or a 1st-gen background event. Each carrier
 * maps to the same StorageObject so a route cannot tell how it arrived.
 */
import type { EventBase, PubSubMessage, StorageChange, StorageObject, StorageObjectEvent } from '../event';
import type { Unwrapped } from '../unwrapped';
import { PayloadError, fromZodError } from '../errors';
import { storageObjectSchema } from '../schemas';
import { percentDecoded } from '../cloudevent-attributes';
import { parseJson } from './bytes';
import type { EventContext, Payload } from './payload';

// Maps, not object literals: the keys looked up are event types from the input, and
// `constructor` or `toString` must find nothing rather than Object.prototype's function.
const CLOUD_EVENT_CHANGES: ReadonlyMap<string, StorageChange> = new Map([
  ['google.cloud.storage.object.v1.finalized', 'finalized'],
  ['google.cloud.storage.object.v1.deleted', 'deleted'],
  ['google.cloud.storage.object.v1.archived', 'archived'],
  ['google.cloud.storage.object.v1.metadataUpdated', 'metadataUpdated'],
]);
const NOTIFICATION_CHANGES: ReadonlyMap<string, StorageChange> = new Map([
  ['OBJECT_FINALIZE', 'finalized'],
  ['OBJECT_DELETE', 'deleted'],
  ['OBJECT_ARCHIVE', 'archived'],
  ['OBJECT_METADATA_UPDATE', 'metadataUpdated'],
]);
const BACKGROUND_CHANGES: ReadonlyMap<string, StorageChange> = new Map([
  ['google.storage.object.finalize', 'finalized'],
  ['google.storage.object.delete', 'deleted'],
  ['google.storage.object.archive', 'archived'],
  ['google.storage.object.metadataUpdate', 'metadataUpdated'],
]);

export const storageChangeOfNotification = (eventType: string): StorageChange | undefined => NOTIFICATION_CHANGES.get(eventType);
export const storageChangeOfBackgroundType = (type: string): StorageChange | undefined => BACKGROUND_CHANGES.get(type);

/** The CloudEvent type Eventarc gives a change; used for events that arrived by other carriers. */
export function cloudEventTypeOfStorageChange(change: StorageChange): string {
  return `google.cloud.storage.object.v1.${change}`;
}

export function storageSource(bucket: string): string {
  return `//storage.googleapis.com/projects/_/buckets/${bucket}`;
}

/** `//storage.googleapis.com/projects/_/buckets/B` -> B */
export function bucketOfSource(source: string | undefined): string | undefined {
  const m = /^\/\/storage\.googleapis\.com\/projects\/[^/]+\/buckets\/([^/]+)$/.exec(source ?? '');
  return m?.[1];
}

/** `objects/NAME` -> NAME, every character kept (spaces, unicode, `#`). */
export function nameOfSubject(subject: string | undefined): string | undefined {
  return subject?.startsWith('objects/') && subject.length > 'objects/'.length ? subject.slice('objects/'.length) : undefined;
}

/**
 * Validates StorageObjectData; bucket and name may come from the envelope
 * (source/subject, notification attributes) when the data lacks them.
 */
export function parseStorageObject(
  data: unknown,
  shape: string,
  basePath: string,
  fallback: { bucket?: string; name?: string; generation?: string } = {},
): StorageObject {
  const parsed = storageObjectSchema.safeParse(data);
  if (!parsed.success) throw fromZodError(shape, parsed.error, basePath);
  const o = parsed.data;
  const bucket = o.bucket ?? fallback.bucket;
  const name = o.name ?? fallback.name;
  if (!bucket) throw new PayloadError(shape, [basePath, 'bucket'].filter(Boolean).join('.'), 'is required');
  if (!name) throw new PayloadError(shape, [basePath, 'name'].filter(Boolean).join('.'), 'is required');
  let generation = o.generation;
  if (generation === undefined && fallback.generation !== undefined) {
    generation = parseGeneration(fallback.generation, shape, 'objectGeneration');
  }
  return stripUndefined({
    bucket,
    name,
    generation,
    metageneration: o.metageneration,
    size: o.size,
    contentType: o.contentType,
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    storageClass: o.storageClass,
    timeCreated: o.timeCreated,
    updated: o.updated,
    metadata: o.metadata,
  });
}

export function parseGeneration(value: string, shape: string, path: string): bigint {
  // Bounded like int64 (schemas.ts): BigInt of a long digit string is quadratic.
  if (!/^\d{1,20}$/.test(value)) throw new PayloadError(shape, path, 'is not an integer of at most 20 digits');
  return BigInt(value);
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** `projects/P/buckets/B/objects/NAME[#GEN]` (a 1st-gen resource) -> parts; `#GEN` is not part of the name. */
export function parseStorageResource(name: string): { project: string; bucket: string; name: string; generation?: string } | undefined {
  const m = /^projects\/([^/]+)\/buckets\/([^/]+)\/objects\/(.+)$/.exec(name);
  if (!m) return undefined;
  const g = /#(\d+)$/.exec(m[3]);
  return { project: m[1], bucket: m[2], name: g ? m[3].slice(0, g.index) : m[3], ...(g && { generation: g[1] }) };
}

/**
 * Eventarc's StorageObjectData. Bucket and name may come from the context when the
 * data lacks them: the source and `objects/NAME` subject, or a 1st-gen resource,
 * which also names the project and generation (parse/envelopes/background.ts keeps it).
 */
function fromCloudEvent(u: Unwrapped, context: EventContext): StorageObjectEvent {
  const change = CLOUD_EVENT_CHANGES.get(context.type)!;
  const shape = u.delivery.shape;
  const data = u.dataValue !== undefined ? u.dataValue : parseJson(u.data, shape, u.dataPath);
  const resource = u.resource !== undefined ? parseStorageResource(u.resource) : undefined;
  const a = u.attributes;
  const fallback = resource ?? { bucket: bucketOfSource(context.source) ?? a['bucket'], name: nameOfSubject(percentDecoded(a['subject'])) };
  const object = parseStorageObject(data, shape, u.dataPath, fallback);
  const project = resource !== undefined && resource.project !== '_' ? resource.project : undefined;
  return { kind: 'storage.object', delivery: u.delivery, ...context, ...(project !== undefined && { project }), change, object };
}

/** A Cloud Storage notification on Pub/Sub: attributes `eventType`, `bucketId`, `objectId`; JSON_API_V1 or NONE data. */
function fromMessage(message: PubSubMessage, carrier: EventBase): StorageObjectEvent | undefined {
  const a = message.attributes;
  const change = a['eventType'] !== undefined ? storageChangeOfNotification(a['eventType']) : undefined;
  if (!change || a['bucketId'] === undefined || a['objectId'] === undefined) return undefined;
  const shape = 'storage-notification';
  const fallback = { bucket: a['bucketId'], name: a['objectId'], generation: a['objectGeneration'] };
  let object;
  if (a['payloadFormat'] === 'JSON_API_V1' || (a['payloadFormat'] === undefined && message.data.length > 0)) {
    if (message.data.length === 0) throw new PayloadError(shape, 'message.data', 'is empty but payloadFormat is JSON_API_V1');
    object = parseStorageObject(parseJson(message.data, shape, 'message.data'), shape, 'message.data', fallback);
  } else {
    object = parseStorageObject({}, shape, 'message.attributes', fallback);
  }
  return {
    kind: 'storage.object',
    ...carrier,
    change,
    object,
    type: cloudEventTypeOfStorageChange(change),
    source: storageSource(object.bucket),
    // The notification's own event time, as Eventarc would give it in ce-time.
    ...(a['eventTime'] !== undefined ? { time: a['eventTime'] } : {}),
  };
}

export const storageObjectPayload: Payload = { cloudEventTypes: [...CLOUD_EVENT_CHANGES.keys()], fromCloudEvent, fromMessage };
