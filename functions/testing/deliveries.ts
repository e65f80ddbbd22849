/**
 * Deliveries as their senders make them, from typed fields (everything but what
 * the event is about has a default), for a user's tests of their own routes:
 *
 *   deliveries.storageObject({ bucket: 'releases', name: 'v1/app.tgz' })                   // Eventarc, binary
 *   deliveries.storageObject({ bucket: 'releases', name: 'v1/app.tgz' }, 'pubsub-push')    // a notification
 *
 * The second argument is the shape that carries the event (event.ts's DeliveryShape).
 * Each builder is parse/build's (the same `eventarc-router emit` sends), so a delivery
 * here is one the parser is tested against.
 */
import { randomUUID } from 'crypto';
import type { DeliveryShape, StorageChange } from '../parse/event';
import type { RawRequest } from '../receive/raw-request';
import { buildDelivery, type EventSpec, type ShapeLetter } from '../parse/build/shapes';
import { buildDocumentEvent, type DocumentChange } from '../parse/build/firestore-document';
import { asProtobuf } from '../parse/build/firestore-protobuf';
import { buildAuditLogEvent, type AuditLogSpec } from '../parse/build/audit-log';
import { buildBuildEvent } from '../parse/build/cloud-build';
import { buildCloudEvent, type CloudEventMode } from '../parse/build/cloudevent';
import { readEventFile } from '../parse/build/request-file';

/** One HTTP request as it reaches the router: what runDelivery takes (and what `emit` sends). */
export type DeliveryRequest = RawRequest;

/** Fields every builder takes; absent ones get a fresh id, the current time, `test-project`. */
export interface Common {
  readonly id?: string;
  /** RFC 3339, kept as given. */
  readonly time?: string;
  readonly project?: string;
  /** More request headers: `authorization`, `traceparent`, ... (names lower-cased). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Pub/Sub metadata of a push. */
export interface PushFields {
  readonly topic?: string;
  /** The subscription's id (`projects/P/subscriptions/` is added). */
  readonly subscription?: string;
  /** Set by Pub/Sub when the subscription has a dead-letter policy. */
  readonly deliveryAttempt?: number;
  readonly orderingKey?: string;
}

function common(c: Common, topic = 'events', p: PushFields = {}): EventSpec {
  return {
    id: c.id ?? randomUUID(),
    time: c.time ?? new Date().toISOString(),
    project: c.project ?? 'test-project',
    topic: p.topic ?? topic,
    subscription: p.subscription ?? 'test-push',
    ...(p.deliveryAttempt !== undefined && { deliveryAttempt: p.deliveryAttempt }),
    ...(p.orderingKey !== undefined && { orderingKey: p.orderingKey }),
  };
}

function withHeaders(raw: RawRequest, c: Common): RawRequest {
  if (!c.headers) return raw;
  const extra = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { ...raw, headers: { ...raw.headers, ...extra } };
}

function letterOf<S extends DeliveryShape>(via: S, letters: Partial<Record<DeliveryShape, ShapeLetter>>, what: string): ShapeLetter {
  const letter = letters[via];
  if (!letter) throw new Error(`a ${what} does not arrive as ${via} (one of: ${Object.keys(letters).join(', ')})`);
  return letter;
}

export interface PubSubMessageFields extends Common, PushFields {
  /** Text or bytes as they are; anything else as its JSON. */
  readonly data?: string | Buffer | object;
  readonly attributes?: Readonly<Record<string, string>>;
}

const MESSAGE_SHAPES = {
  'cloudevent-binary': 'A',
  'cloudevent-structured': 'C',
  'pubsub-push': 'D',
  'pubsub-push-nowrapper': 'E',
  background: 'H',
} as const;

/** A Pub/Sub message: pushed (default), by an Eventarc Pub/Sub trigger, noWrapper, or as a 1st-gen background event. */
export function pubsubMessage(fields: PubSubMessageFields = {}, via: keyof typeof MESSAGE_SHAPES = 'pubsub-push'): DeliveryRequest {
  const d = fields.data;
  const data = d === undefined || typeof d === 'string' || Buffer.isBuffer(d) ? d : JSON.stringify(d);
  const spec: EventSpec = { ...common(fields, 'events', fields), ...(data !== undefined && { data }), attributes: fields.attributes ?? {} };
  return withHeaders(buildDelivery(letterOf(via, MESSAGE_SHAPES, 'Pub/Sub message'), spec), fields);
}

export interface StorageObjectFields extends Common, PushFields {
  readonly bucket: string;
  readonly name: string;
  readonly change?: StorageChange;
  readonly size?: number | bigint | string;
  readonly generation?: number | bigint | string;
  readonly contentType?: string;
}

const STORAGE_SHAPES = { 'cloudevent-binary': 'B', 'cloudevent-structured': 'C', 'pubsub-push': 'F', background: 'H' } as const;

/** A Cloud Storage object event: Eventarc's (default), structured, a notification pushed by Pub/Sub, or 1st gen. */
export function storageObject(fields: StorageObjectFields, via: keyof typeof STORAGE_SHAPES = 'cloudevent-binary'): DeliveryRequest {
  const spec: EventSpec = {
    ...common(fields, 'gcs-notifications', fields),
    bucket: fields.bucket,
    name: fields.name,
    ...(fields.change !== undefined && { change: fields.change }),
    ...(fields.size !== undefined && { size: String(fields.size) }),
    ...(fields.generation !== undefined && { generation: String(fields.generation) }),
    ...(fields.contentType !== undefined && { contentType: fields.contentType }),
  };
  return withHeaders(buildDelivery(letterOf(via, STORAGE_SHAPES, 'storage event'), spec), fields);
}

export interface RegistryImageFields extends Common, PushFields {
  /** `INSERT` (default) or `DELETE`. */
  readonly action?: 'INSERT' | 'DELETE';
  /** `HOST/PROJECT/REPO/IMAGE@sha256:...` */
  readonly digest?: string;
  /** `HOST/PROJECT/REPO/IMAGE:TAG` */
  readonly tag?: string;
}

/** An Artifact Registry (or Container Registry) notification, pushed from the `gcr` topic. */
export function registryImage(fields: RegistryImageFields): DeliveryRequest {
  const spec: EventSpec = {
    ...common(fields, 'gcr', fields),
    ...(fields.action !== undefined && { action: fields.action }),
    ...(fields.digest !== undefined && { digest: fields.digest }),
    ...(fields.tag !== undefined && { tag: fields.tag }),
  };
  return withHeaders(buildDelivery('G', spec), fields);
}

export interface FirestoreDocumentFields extends Common {
  /** Below the database's documents: `users/alice/orders/o1`. */
  readonly document: string;
  /** Default `written`. */
  readonly change?: DocumentChange;
  readonly database?: string;
  /** The document after the change, as plain JSON (whole numbers become integers). */
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly oldFields?: Readonly<Record<string, unknown>>;
}

/** A Firestore document event from Eventarc, its data `application/protobuf` (Eventarc's default) or `application/json`. */
export function firestoreDocument(fields: FirestoreDocumentFields, encoding: 'protobuf' | 'json' = 'protobuf'): DeliveryRequest {
  const c = common(fields);
  const json = buildDocumentEvent({
    id: c.id,
    time: c.time,
    project: c.project,
    database: fields.database ?? '(default)',
    document: fields.document,
    change: fields.change ?? 'written',
    ...(fields.fields && { fields: fields.fields }),
    ...(fields.oldFields && { oldFields: fields.oldFields }),
  });
  return withHeaders(encoding === 'protobuf' ? asProtobuf(json) : json, fields);
}

export type AuditLogFields = Common & Omit<AuditLogSpec, 'id' | 'time' | 'project'>;

/** A Cloud Audit Logs entry from an Eventarc audit-log trigger. */
export function auditLog(fields: AuditLogFields, via: CloudEventMode = 'cloudevent-binary'): DeliveryRequest {
  const c = common(fields);
  const { headers: _headers, id: _id, time: _time, project: _project, ...entry } = fields;
  return withHeaders(buildAuditLogEvent({ ...entry, id: c.id, time: c.time, project: c.project }, via), fields);
}

export interface BuildStatusFields extends Common, Omit<PushFields, 'topic'> {
  readonly buildId?: string;
  /** `SUCCESS`, `FAILURE`, `WORKING`, ... */
  readonly status: string;
  readonly triggerId?: string;
  readonly triggerName?: string;
  readonly images?: readonly { readonly name: string; readonly digest?: string }[];
  readonly logUrl?: string;
}

/** A Cloud Build status change: Eventarc's (default) or Cloud Build's notification pushed from the `cloud-builds` topic. */
export function buildStatus(fields: BuildStatusFields, via: 'cloudevent-binary' | 'pubsub-push' = 'cloudevent-binary'): DeliveryRequest {
  const c = common(fields, 'cloud-builds', fields);
  return withHeaders(
    buildBuildEvent(
      {
        id: c.id,
        time: c.time,
        project: c.project,
        subscription: c.subscription,
        buildId: fields.buildId ?? randomUUID(),
        status: fields.status,
        ...(fields.triggerId !== undefined && { triggerId: fields.triggerId }),
        ...(fields.triggerName !== undefined && { triggerName: fields.triggerName }),
        ...(fields.images && { images: fields.images }),
        ...(fields.logUrl !== undefined && { logUrl: fields.logUrl }),
      },
      via,
    ),
    fields,
  );
}

export interface CloudEventFields extends Common {
  readonly type: string;
  /** Default `//test.example/source`. */
  readonly source?: string;
  readonly subject?: string;
  /** Text or bytes as they are; anything else as JSON. */
  readonly data?: unknown;
  readonly dataContentType?: string;
  /** Extension attributes, lower-case names without `ce-`. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/**
 * Any CloudEvent: binary (default), structured, or as Eventarc's raw Pub/Sub fallback
 * (`pubsub-push-cloudevent`: the attributes in a push's message). A type the router knows
 * becomes that kind of event; any other becomes `cloudevent`.
 */
export function cloudEvent(fields: CloudEventFields, via: CloudEventMode = 'cloudevent-binary'): DeliveryRequest {
  const c = common(fields);
  return withHeaders(
    buildCloudEvent(
      {
        id: c.id,
        time: c.time,
        type: fields.type,
        source: fields.source ?? '//test.example/source',
        ...(fields.subject !== undefined && { subject: fields.subject }),
        ...(fields.data !== undefined && { data: fields.data }),
        ...(fields.dataContentType !== undefined && { dataContentType: fields.dataContentType }),
        ...(fields.extensions && { extensions: fields.extensions }),
        subscription: `projects/${c.project}/subscriptions/${c.subscription}`,
      },
      via,
    ),
    fields,
  );
}

/** Any request at all (a GET, a body that is no delivery): the pipeline's answer to what is not an event. */
export function request(fields: {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}): DeliveryRequest {
  const headers = Object.fromEntries(Object.entries(fields.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: fields.method ?? 'POST', path: fields.path ?? '/', headers, body: Buffer.from(fields.body ?? '') };
}

/**
 * A delivery from a file: a request fixture (`{"request": {method, path, headers, json | body | bodyBase64}}`,
 * as in this project's fixtures/requests/) or a bare JSON body (a structured CloudEvent, a push body, a background event).
 */
export function fromFixture(file: string): DeliveryRequest {
  return readEventFile(file);
}
