/**
 * A Pub/Sub message, and what its payload really is: a Cloud Storage notification
 * (attributes `eventType`, `bucketId`, `objectId`), an Artifact Registry
 * notification (`{"action":"INSERT",...}`, normally on the `gcr` topic), or a
 * plain message. The decision is made here once, so routes see the domain event.
 */
import type { EventBase, ImageEvent, PubSubMessage, PubSubMessageEvent, RouterEvent, StorageObjectEvent } from '../event';
import { PayloadError, fromZodError } from '../errors';
import { isValidPushEnvelope, pubsubMessageSchema, pushEnvelopeSchema, registryNotificationSchema, type PubsubMessageJson, type PushEnvelopeJson } from '../schemas';
import { decodeBase64, parseJson } from './bytes';
import { parseImageReference } from './image-reference';
import { cloudEventTypeOfStorageChange, parseStorageObject, storageChangeOfNotification, storageSource } from './storage-object';

export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** PubsubMessage JSON (push body, Eventarc data, background data) -> PubSubMessage. */
export function messageFromJson(json: unknown, shape: string, path: string): PubSubMessage {
  const parsed = pubsubMessageSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, path);
  return toMessage(parsed.data, shape, path);
}

/** A push envelope (raw push body, Eventarc messagePublished data), checked by hand first (schemas.ts). */
export function pushEnvelopeFromJson(json: unknown, shape: string, path: string): PushEnvelopeJson {
  if (isValidPushEnvelope(json)) return json;
  const parsed = pushEnvelopeSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, path);
  return parsed.data;
}

/** A message already validated (as part of its envelope) -> PubSubMessage. */
export function toMessage(m: PubsubMessageJson, shape: string, path: string): PubSubMessage {
  // An attribute-only message (a NONE storage notification) has no data at all.
  const data = m.data === undefined || m.data === '' ? Buffer.alloc(0) : decodeBase64(m.data, shape, `${path}.data`);
  const id = m.messageId ?? m.message_id;
  const publishTime = m.publishTime ?? m.publish_time;
  const orderingKey = m.orderingKey ?? m.ordering_key;
  return {
    data,
    attributes: m.attributes ?? {},
    ...(id !== undefined && { id }),
    ...(publishTime !== undefined && { publishTime }),
    ...(orderingKey !== undefined && orderingKey !== '' && { orderingKey }),
  };
}

export function textOf(data: Buffer): string {
  return data.toString('utf8');
}

export function jsonOf<T>(data: Buffer, shape: string): T {
  return parseJson(data, shape, 'data') as T;
}

/** Interprets one message in its carrier: storage notification, registry notification, or plain. */
export function eventFromMessage(message: PubSubMessage, carrier: EventBase): RouterEvent {
  const storage = storageNotification(message, carrier);
  if (storage) return storage;
  const image = registryNotification(message, carrier);
  if (image) return image;
  // `kind` first: a literal starting with a spread is V8's slow path on Node 20 (see envelopes/cloudevent.ts).
  const event: PubSubMessageEvent = {
    kind: 'pubsub.message',
    ...carrier,
    message,
    text: () => textOf(message.data),
    json: <T>() => jsonOf<T>(message.data, 'pubsub-message'),
  };
  return event;
}

function storageNotification(message: PubSubMessage, carrier: EventBase): StorageObjectEvent | undefined {
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

const ACTION_KEY = Buffer.from('"action"');

/** Cheap pre-check so plain JSON messages are not parsed twice on the hot path. */
function looksLikeRegistryNotification(data: Buffer): boolean {
  return data.length > 0 && data.length < 16384 && data.includes(ACTION_KEY) && data.toString('utf8').trimStart().startsWith('{');
}

function registryNotification(message: PubSubMessage, carrier: EventBase): ImageEvent | undefined {
  const onGcrTopic = carrier.topic === 'gcr';
  if (!onGcrTopic && !looksLikeRegistryNotification(message.data)) return undefined;
  const shape = 'registry-notification';
  let json: unknown;
  try {
    json = JSON.parse(message.data.toString('utf8'));
  } catch (err) {
    if (onGcrTopic) throw new PayloadError(shape, 'message.data', `is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
  const action = (json as { action?: unknown } | null)?.action;
  if (!onGcrTopic && action !== 'INSERT' && action !== 'DELETE') return undefined;
  const parsed = registryNotificationSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, 'message.data');
  const n = parsed.data;
  const byDigest = n.digest !== undefined ? parseImageReference(n.digest, shape, 'message.data.digest') : undefined;
  const byTag = n.tag !== undefined ? parseImageReference(n.tag, shape, 'message.data.tag') : undefined;
  if (byDigest && byTag && (byDigest.host !== byTag.host || byDigest.path !== byTag.path)) {
    throw new PayloadError(shape, 'message.data', `digest and tag name different images ("${n.digest}", "${n.tag}")`);
  }
  const base = (byDigest ?? byTag)!;
  const image = {
    host: base.host,
    project: base.project,
    repository: base.repository,
    image: base.image,
    path: base.path,
    ...(byTag?.tag !== undefined && { tag: byTag.tag }),
    ...(byDigest?.digest !== undefined && { digest: byDigest.digest }),
  };
  return {
    kind: 'registry.image',
    ...carrier,
    change: n.action === 'INSERT' ? 'inserted' : 'deleted',
    image,
    notification: { action: n.action, ...(n.digest !== undefined && { digest: n.digest }), ...(n.tag !== undefined && { tag: n.tag }) },
  };
}

/** `//pubsub.googleapis.com/projects/P/topics/T` or `projects/P/topics/T` -> {project, topic}. */
export function topicOfResource(resource: string | undefined): { project: string; topic: string } | undefined {
  const m = /^(?:\/\/pubsub\.googleapis\.com\/)?projects\/([^/]+)\/topics\/([^/]+)$/.exec(resource ?? '');
  return m ? { project: m[1]!, topic: m[2]! } : undefined;
}

/** `projects/P/subscriptions/S` -> P */
export function projectOfSubscription(subscription: string | undefined): string | undefined {
  return /^projects\/([^/]+)\/subscriptions\/[^/]+$/.exec(subscription ?? '')?.[1];
}
