/**
 * Shape H: a Cloud Functions 1st-gen background event, `{context, data}` or the
 * older flat form. Unlike Functions Framework's own conversion, a resource with a
 * real project id and a name ending in `#GENERATION` are handled.
 */
import type { Delivery, RouterEvent } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { PayloadError, fromZodError } from '../errors';
import { stringifyJson } from '../payloads/bytes';
import { backgroundEventSchema } from '../schemas';
import { MESSAGE_PUBLISHED, eventFromMessage, messageFromJson } from '../payloads/pubsub-message';
import { cloudEventTypeOfStorageChange, parseStorageObject, storageChangeOfBackgroundType, storageSource } from '../payloads/storage-object';

const SHAPE = 'background';
const PUBSUB_TYPES = new Set(['google.pubsub.topic.publish', 'providers/cloud.pubsub/eventTypes/topic.publish']);
const LEGACY_STORAGE_CHANGE = 'providers/cloud.storage/eventTypes/object.change';

export function isBackgroundEvent(json: unknown): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const o = json as Record<string, unknown>;
  return (typeof o['context'] === 'object' && o['context'] !== null) || (Object.hasOwn(o, 'eventType') && Object.hasOwn(o, 'eventId'));
}

/** `projects/P/buckets/B/objects/NAME[#GEN]` -> parts; `#GEN` is not part of the name. */
export function parseStorageResource(name: string): { project: string; bucket: string; name: string; generation?: string } | undefined {
  const m = /^projects\/([^/]+)\/buckets\/([^/]+)\/objects\/(.+)$/.exec(name);
  if (!m) return undefined;
  const g = /#(\d+)$/.exec(m[3]!);
  return { project: m[1]!, bucket: m[2]!, name: g ? m[3]!.slice(0, g.index) : m[3]!, ...(g && { generation: g[1]! }) };
}

export function parseBackgroundEvent(raw: RawRequest, json: unknown): RouterEvent {
  const parsed = backgroundEventSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(SHAPE, parsed.error);
  const e = parsed.data;
  type Context = { eventId: string; eventType: string; timestamp?: string | undefined; resource: string | { name: string } };
  const nested = typeof e['context'] === 'object' && e['context'] !== null;
  const context = (nested ? e['context'] : e) as Context;
  const prefix = nested ? 'context.' : '';
  const resourceName = typeof context.resource === 'string' ? context.resource : context.resource.name;
  const { eventId: id, eventType, timestamp: time } = context;
  const data = e.data;

  const dataBytes = Buffer.from(stringifyJson(data ?? null, SHAPE, 'data'));
  const make = (type: string, source: string | undefined): Delivery => ({
    shape: SHAPE,
    attributes: {},
    cloudEvent: {
      attributes: { specversion: '1.0', id, type, ...(source && { source }), ...(time !== undefined && { time }) },
      data: dataBytes,
      dataContentType: 'application/json',
    },
    raw,
  });

  if (PUBSUB_TYPES.has(eventType)) {
    const t = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(resourceName);
    if (!t) throw new PayloadError(SHAPE, `${prefix}resource`, `"${resourceName}" is not projects/P/topics/T`);
    // The mapping Functions Framework's conformance suite fixes: a legacy message takes the event's id and time.
    const parsedMessage = messageFromJson(data ?? {}, SHAPE, 'data');
    const message = { ...parsedMessage, id: parsedMessage.id ?? id, ...((parsedMessage.publishTime ?? time) !== undefined && { publishTime: (parsedMessage.publishTime ?? time)! }) };
    const source = `//pubsub.googleapis.com/${resourceName}`;
    const delivery = { ...make(MESSAGE_PUBLISHED, source), attributes: message.attributes };
    return eventFromMessage(message, {
      id, type: MESSAGE_PUBLISHED, source, ...(time !== undefined && { time }),
      project: t[1]!, topic: t[2]!, delivery,
    });
  }

  let change = storageChangeOfBackgroundType(eventType);
  if (!change && eventType === LEGACY_STORAGE_CHANGE) {
    change = (data as { resourceState?: unknown } | null)?.resourceState === 'not_exists' ? 'deleted' : 'finalized';
  }
  if (change) {
    const resource = parseStorageResource(resourceName);
    if (!resource) throw new PayloadError(SHAPE, `${prefix}resource`, `"${resourceName}" is not projects/P/buckets/B/objects/NAME`);
    const object = parseStorageObject(data ?? {}, SHAPE, 'data', resource);
    const type = cloudEventTypeOfStorageChange(change);
    const source = storageSource(object.bucket);
    return {
      kind: 'storage.object', change, object, id, type, source, ...(time !== undefined && { time }),
      ...(resource.project !== '_' && { project: resource.project }),
      delivery: make(type, source),
    };
  }
  throw new PayloadError(SHAPE, `${prefix}eventType`, `"${eventType}" is not a Pub/Sub or Cloud Storage event`);
}
