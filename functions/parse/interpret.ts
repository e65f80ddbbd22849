/**
 * The one interpreter: a delivery out of any envelope becomes a typed event, by its
 * CloudEvent type, or, for a Pub/Sub message, by what its notification attributes
 * (or topic and content) say it is. Every family is one payload module in PAYLOADS.
 */
import type { RouterEvent } from './event';
import type { Unwrapped } from './unwrapped';
import type { EventContext, Payload } from './payloads/payload';
import { MESSAGE_PUBLISHED, messageOf, pubsubMessageEvent } from './payloads/pubsub-message';
import { storageObjectPayload } from './payloads/storage-object';
import { artifactRegistryImagePayload } from './payloads/artifact-registry-image';
import { decoderPayload } from './payloads/payload';
import { FIRESTORE_DOCUMENT_TYPES, firestoreDocumentEventOf } from './payloads/firestore-document';
import { AUDIT_LOG_WRITTEN, auditLogEventOf } from './payloads/audit-log';
import { BUILD_STATUS_CHANGED, cloudBuildEventOf, cloudBuildEventOfMessage, isCloudBuildNotification } from './payloads/cloud-build';
import { otherCloudEvent } from './payloads/cloudevent';

/** Every event family, in the order a Pub/Sub message is offered to them. Add a family here. */
const PAYLOADS: readonly Payload[] = [
  storageObjectPayload,
  decoderPayload(FIRESTORE_DOCUMENT_TYPES, firestoreDocumentEventOf),
  decoderPayload([AUDIT_LOG_WRITTEN], auditLogEventOf),
  decoderPayload([BUILD_STATUS_CHANGED], cloudBuildEventOf, { claims: isCloudBuildNotification, decode: cloudBuildEventOfMessage, type: BUILD_STATUS_CHANGED }),
  artifactRegistryImagePayload,
];

// A Map, not an object literal: the keys looked up are event types from the input, and
// `constructor` or `toString` must find nothing rather than Object.prototype's function.
const BY_CLOUD_EVENT_TYPE: ReadonlyMap<string, Payload> = new Map(
  PAYLOADS.flatMap((p) => (p.fromCloudEvent ? p.cloudEventTypes.map((t) => [t, p] as const) : [])),
);
const MESSAGE_READERS = PAYLOADS.filter((p) => p.fromMessage !== undefined);

export function interpret(u: Unwrapped): RouterEvent {
  const a = u.attributes;
  const type = a['type'];
  // A literal that starts with a plain property, never with a spread: on Node 20 a literal that
  // starts with a spread and then adds properties costs ~0.4 µs per property (V8's slow path).
  const context: EventContext = {
    type,
    ...(a['id'] !== undefined && { id: a['id'] }),
    ...(a['source'] !== undefined && { source: a['source'] }),
    ...(a['time'] !== undefined && { time: a['time'] }),
  };

  if (type === MESSAGE_PUBLISHED) {
    // Pub/Sub carries other families' notifications: each may claim the message, else it is a plain message.
    const { message, carrier } = messageOf(u, context);
    for (const p of MESSAGE_READERS) {
      const event = p.fromMessage!(message, carrier);
      if (event) return event;
    }
    return pubsubMessageEvent(message, carrier);
  }
  const payload = BY_CLOUD_EVENT_TYPE.get(type);
  return payload ? payload.fromCloudEvent!(u, context) : otherCloudEvent(u, context);
}
