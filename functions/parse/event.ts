/**
 * The typed events a handler receives. Every delivery shape (Eventarc binary or
 * structured CloudEvent, Pub/Sub push wrapped or not, 1st-gen background event)
 * becomes exactly one of these; a handler narrows on `kind`.
 */
import type { RawRequest } from '../receive/raw-request';
import type { AuditLogEntry } from './payloads/audit-log';
import type { BuildStatusChange } from './payloads/cloud-build';
import type { FirestoreDocumentChange } from './payloads/firestore-document';

/** Which wire shape carried the event (docs/delivery.md, "Shapes"). */
export type DeliveryShape =
  | 'cloudevent-binary' // A, B: Eventarc
  | 'cloudevent-structured' // C
  | 'pubsub-push' // D: wrapped push
  | 'pubsub-push-nowrapper' // E: noWrapper push
  | 'pubsub-push-cloudevent' // I: a CloudEvent in a push's attributes (Eventarc's fallback)
  | 'background'; // H: Cloud Functions 1st gen

/**
 * The CloudEvent view of a delivery: the context attributes as they arrived
 * (`ce-*` headers or structured members; none invented) and the data bytes and
 * content type exactly as received. For non-CloudEvent shapes it holds only what
 * the shape carried (e.g. a push has no `type` or `source` of its own).
 */
export interface CloudEventView {
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: Buffer;
  readonly dataContentType?: string;
}

/** How the event reached us: shape plus the Pub/Sub delivery metadata, kept exactly. */
export interface Delivery {
  readonly shape: DeliveryShape;
  readonly subscription?: string;
  readonly deliveryAttempt?: number;
  readonly orderingKey?: string;
  /** Pub/Sub message attributes (empty when the shape has none). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly cloudEvent: CloudEventView;
  readonly raw: RawRequest;
}

/** Fields every event has, whatever its kind; an envelope decides them from its carrier. */
export interface EventBase {
  /** Event id as delivered (CloudEvent id, Pub/Sub messageId, background eventId). Absent only when the shape carried none. */
  readonly id?: string;
  /** The CloudEvent type, or the one Eventarc would give this event. */
  readonly type: string;
  /** CloudEvent source when delivered or derivable without guessing. */
  readonly source?: string;
  /** The raw `time` string as delivered (never re-formatted). */
  readonly time?: string;
  /** Project id named by the event's source or resource, when it names one (not `_`). */
  readonly project?: string;
  /** Pub/Sub topic id, when the delivery names it (Eventarc source, background resource). */
  readonly topic?: string;
  readonly delivery: Delivery;
}

export interface PubSubMessage {
  readonly id?: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly publishTime?: string;
  readonly orderingKey?: string;
}

export interface PubSubMessageEvent extends EventBase {
  readonly kind: 'pubsub.message';
  readonly message: PubSubMessage;
  /** The data as UTF-8 text. */
  text(): string;
  /** The data parsed as JSON; throws a PayloadError when it is not JSON. */
  json<T = unknown>(): T;
}

export type StorageChange = 'finalized' | 'deleted' | 'archived' | 'metadataUpdated';

export interface StorageObject {
  readonly bucket: string;
  readonly name: string;
  /** int64 values arrive as strings or numbers; held as bigint so none loses precision. */
  readonly generation?: bigint;
  readonly metageneration?: bigint;
  readonly size?: bigint;
  readonly contentType?: string;
  readonly md5Hash?: string;
  readonly crc32c?: string;
  readonly storageClass?: string;
  readonly timeCreated?: string;
  readonly updated?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface StorageObjectEvent extends EventBase {
  readonly kind: 'storage.object';
  readonly change: StorageChange;
  readonly object: StorageObject;
}

export type ImageChange = 'inserted' | 'deleted';

export interface ImageReference {
  /** e.g. `us-docker.pkg.dev`, `gcr.io`, `127.0.0.1:5000` */
  readonly host: string;
  /** Project id (Artifact Registry and Container Registry paths start with it). */
  readonly project: string;
  /** Artifact Registry repository; for Container Registry hosts (gcr.io) the host's implicit one is empty. */
  readonly repository: string;
  /** Image path below the repository (may contain `/`). */
  readonly image: string;
  readonly tag?: string;
  readonly digest?: string;
  /** Repository path as the registry API names it: PROJECT/REPO/IMAGE (or PROJECT/IMAGE on gcr.io). */
  readonly path: string;
}

export interface ImageEvent extends EventBase {
  readonly kind: 'registry.image';
  readonly change: ImageChange;
  readonly image: ImageReference;
  /** The `digest` and `tag` strings exactly as the notification gave them. */
  readonly notification: { readonly action: string; readonly digest?: string; readonly tag?: string };
}

/**
 * Any other CloudEvent (Eventarc audit-log or direct events, custom producers):
 * not interpreted, but routable on type/source/subject and forwardable as is.
 */
export interface OtherCloudEvent extends EventBase {
  readonly kind: 'cloudevent';
  readonly subject?: string;
  /** The data as UTF-8 text. */
  text(): string;
  /** The data parsed as JSON; throws a PayloadError when it is not JSON. */
  json<T = unknown>(): T;
}

/** A Firestore document created, updated, deleted or written (payloads/firestore-document.ts). */
export interface FirestoreDocumentEvent extends EventBase, FirestoreDocumentChange {}
/** A Cloud Audit Logs entry (payloads/audit-log.ts). */
export interface AuditLogEvent extends EventBase, AuditLogEntry {}
/** A Cloud Build status change, by notification or CloudEvent (payloads/cloud-build.ts). */
export interface BuildStatusEvent extends EventBase, BuildStatusChange {}

export type RouterEvent = PubSubMessageEvent | StorageObjectEvent | ImageEvent | FirestoreDocumentEvent | AuditLogEvent | BuildStatusEvent | OtherCloudEvent;
export type EventKind = RouterEvent['kind'];
export const EVENT_KINDS: readonly EventKind[] = [
  'pubsub.message',
  'storage.object',
  'registry.image',
  'firestore.document',
  'audit.log',
  'build.status',
  'cloudevent',
];
