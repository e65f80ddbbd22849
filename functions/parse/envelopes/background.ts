/**
 * Shape H: a Cloud Functions 1st-gen background event, `{context, data}` or the
 * older flat form, converted to the CloudEvent Eventarc would send for it (the
 * mapping of Functions Framework's conformance suite). Unlike Functions
 * Framework's own conversion, a resource with a real project id and a name ending
 * in `#GENERATION` are handled: the resource is kept for the payload to read.
 */
import type { PubSubMessage } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { PayloadError, fromZodError } from '../errors';
import { stringifyJson } from '../payloads/bytes';
import { backgroundEventSchema } from '../schemas';
import { MESSAGE_PUBLISHED, messageFromJson } from '../payloads/pubsub-message';
import { firestoreCloudEventOfBackground } from '../payloads/firestore-document';
import { cloudEventTypeOfStorageChange, parseStorageResource, storageChangeOfBackgroundType, storageSource } from '../payloads/storage-object';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'background';
const PUBSUB_TYPES = new Set(['google.pubsub.topic.publish', 'providers/cloud.pubsub/eventTypes/topic.publish']);
const LEGACY_STORAGE_CHANGE = 'providers/cloud.storage/eventTypes/object.change';

type Context = { eventId: string; eventType: string; timestamp?: string | undefined; resource: string | { name: string } };

/** The CloudEvent a 1st-gen event converts to: its type, source and subject, and its message when it is a publish. */
interface Converted {
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
  readonly message?: PubSubMessage;
}

// Functions Framework's names for the 1st-gen types that are neither Pub/Sub, Storage nor Firestore.
const OTHER_TYPES: ReadonlyMap<string, string> = new Map([
  ['providers/firebase.auth/eventTypes/user.create', 'google.firebase.auth.user.v1.created'],
  ['providers/firebase.auth/eventTypes/user.delete', 'google.firebase.auth.user.v1.deleted'],
  ['providers/google.firebase.analytics/eventTypes/event.log', 'google.firebase.analytics.log.v1.written'],
  ['providers/google.firebase.database/eventTypes/ref.create', 'google.firebase.database.ref.v1.created'],
  ['providers/google.firebase.database/eventTypes/ref.write', 'google.firebase.database.ref.v1.written'],
  ['providers/google.firebase.database/eventTypes/ref.update', 'google.firebase.database.ref.v1.updated'],
  ['providers/google.firebase.database/eventTypes/ref.delete', 'google.firebase.database.ref.v1.deleted'],
]);
const SERVICES: readonly (readonly [string, string])[] = [
  ['providers/firebase.auth/', 'firebaseauth.googleapis.com'],
  ['providers/google.firebase.analytics/', 'firebaseanalytics.googleapis.com'],
  ['providers/google.firebase.database/', 'firebasedatabase.googleapis.com'],
];

function detect(raw: RawRequest): boolean {
  const json = raw.bodyJson;
  if (typeof json !== 'object' || json === null) return false;
  const o = json as Record<string, unknown>;
  return (typeof o['context'] === 'object' && o['context'] !== null) || (Object.hasOwn(o, 'eventType') && Object.hasOwn(o, 'eventId'));
}

function convert(context: Context, resourceName: string, data: unknown, resourcePath: string, domain: string | undefined): Converted {
  const { eventId: id, eventType, timestamp: time } = context;
  if (PUBSUB_TYPES.has(eventType)) {
    if (!/^projects\/[^/]+\/topics\/[^/]+$/.test(resourceName)) throw new PayloadError(SHAPE, resourcePath, `"${resourceName}" is not projects/P/topics/T`);
    // The mapping Functions Framework's conformance suite fixes: a legacy message takes the event's id and time.
    const parsed = messageFromJson(data ?? {}, SHAPE, 'data');
    const publishTime = parsed.publishTime ?? time;
    const message = { ...parsed, id: parsed.id ?? id, ...(publishTime !== undefined && { publishTime }) };
    return { type: MESSAGE_PUBLISHED, source: `//pubsub.googleapis.com/${resourceName}`, message };
  }
  let change = storageChangeOfBackgroundType(eventType);
  if (!change && eventType === LEGACY_STORAGE_CHANGE) {
    change = (data as { resourceState?: unknown } | null)?.resourceState === 'not_exists' ? 'deleted' : 'finalized';
  }
  if (change) {
    const resource = parseStorageResource(resourceName);
    if (!resource) throw new PayloadError(SHAPE, resourcePath, `"${resourceName}" is not projects/P/buckets/B/objects/NAME`);
    const bucket = (data as { bucket?: unknown } | null)?.bucket;
    // The object's own bucket when it names one (as before the conversion moved here); else the resource's.
    return { type: cloudEventTypeOfStorageChange(change), source: storageSource(typeof bucket === 'string' && bucket !== '' ? bucket : resource.bucket) };
  }
  return convertOther(eventType, resourceName, data, domain, resourcePath);
}

/**
 * The other 1st-gen events Functions Framework converts (Firestore, Firebase Auth,
 * Realtime Database, Analytics) become the CloudEvent it converts them to, and so
 * their family's event or a `cloudevent`. A type not in the table is refused: it
 * names nothing we could route on, and a name such as `constructor` must find nothing.
 */
function convertOther(eventType: string, resource: string, data: unknown, domain: string | undefined, resourcePath: string): Converted {
  const firestore = firestoreCloudEventOfBackground(eventType, resource);
  if (firestore) return firestore;
  const type = OTHER_TYPES.get(eventType);
  if (type === undefined) {
    throw new PayloadError(
      SHAPE,
      resourcePath.replace(/resource$/, 'eventType'),
      `"${eventType}" is not a Pub/Sub, Cloud Storage, Firestore or Firebase event`,
    );
  }
  const database = /^projects\/_\/instances\/([^/]+)\/(refs\/.*)$/.exec(resource);
  if (eventType.startsWith('providers/google.firebase.database/') && database) {
    // The location is in the instance's domain: `firebaseio.com` is us-central1, else `LOCATION.firebasedatabase.app`.
    const location = domain === undefined || domain === 'firebaseio.com' ? 'us-central1' : domain.split('.')[0];
    return { type, source: `//firebasedatabase.googleapis.com/projects/_/locations/${location}/instances/${database[1]}`, subject: database[2] };
  }
  if (eventType.startsWith('providers/firebase.auth/')) {
    const uid = (data as { uid?: unknown } | null)?.uid;
    return { type, source: `//firebaseauth.googleapis.com/${resource}`, ...(typeof uid === 'string' && { subject: `users/${uid}` }) };
  }
  // Analytics, and a resource of another form: the service's resource, as Functions Framework names it.
  return { type, source: `//${SERVICES.find(([prefix]) => eventType.startsWith(prefix))![1]}/${resource}` };
}

function unwrap(raw: RawRequest): Unwrapped {
  const parsed = backgroundEventSchema.safeParse(raw.bodyJson);
  if (!parsed.success) throw fromZodError(SHAPE, parsed.error);
  const e = parsed.data;
  const nested = typeof e['context'] === 'object' && e['context'] !== null;
  const context = (nested ? e['context'] : e) as Context;
  const resourceName = typeof context.resource === 'string' ? context.resource : context.resource.name;
  const data = e.data;
  const dataBytes = Buffer.from(stringifyJson(data ?? null, SHAPE, 'data'));
  const domain = typeof e['domain'] === 'string' ? e['domain'] : undefined;
  const converted = convert(context, resourceName, data, `${nested ? 'context.' : ''}resource`, domain);
  const attributes: Record<string, string> = { specversion: '1.0', id: context.eventId, type: converted.type, source: converted.source };
  if (converted.subject !== undefined) attributes['subject'] = converted.subject;
  if (context.timestamp !== undefined) attributes['time'] = context.timestamp;
  return unwrapped({
    shape: SHAPE,
    raw,
    attributes,
    data: dataBytes,
    dataValue: data ?? {},
    dataContentType: 'application/json',
    resource: resourceName,
    ...(converted.message && { message: converted.message, messageAttributes: converted.message.attributes }),
  });
}

export const background: Envelope = { shape: SHAPE, reads: 'json-body', detect, unwrap };
