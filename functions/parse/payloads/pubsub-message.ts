/**
 * Pub/Sub messages: the message of any carrier (Eventarc's messagePublished data,
 * a push, a noWrapper push, a 1st-gen publish), and the plain `pubsub.message`
 * event a message is when no notification family claims it (parse/interpret.ts).
 */
import type { Delivery, EventBase, PubSubMessage, PubSubMessageEvent } from '../event';
import type { Unwrapped } from '../unwrapped';
import { withDeliveryMetadata } from '../unwrapped';
import { fromZodError } from '../errors';
import { conformsToPushEnvelopeSchema, pubsubMessageSchema, pushEnvelopeSchema, type PubsubMessageJson, type PushEnvelopeJson } from '../schemas';
import { decodeBase64, parseJson } from './bytes';
import { below, type EventContext } from './payload';

export const MESSAGE_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';

/** PubsubMessage JSON (push body, Eventarc data, background data) -> PubSubMessage. */
export function messageFromJson(json: unknown, shape: string, path: string): PubSubMessage {
  const parsed = pubsubMessageSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, path);
  return toMessage(parsed.data, shape, path);
}

/** A push envelope (raw push body, Eventarc messagePublished data), checked by hand first (schemas.ts). */
export function pushEnvelopeFromJson(json: unknown, shape: string, path: string): PushEnvelopeJson {
  if (conformsToPushEnvelopeSchema(json)) return json;
  const parsed = pushEnvelopeSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, path);
  return parsed.data;
}

/** A message already validated (as part of its envelope) -> PubSubMessage. */
export function toMessage(m: PubsubMessageJson, shape: string, path: string): PubSubMessage {
  // An attribute-only message (a NONE storage notification) has no data at all.
  const data = m.data === undefined || m.data === '' ? Buffer.alloc(0) : decodeBase64(m.data, shape, below(path, 'data'));
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

/**
 * The message a delivery carries, and the event fields of its carrier. A push or a
 * 1st-gen publish was the message already; a messagePublished CloudEvent holds it
 * in its data, with the subscription and attempt the delivery record then shows.
 */
export function messageOf(u: Unwrapped, context: EventContext): { message: PubSubMessage; carrier: EventBase } {
  let message: PubSubMessage;
  let delivery: Delivery;
  if (u.message !== undefined) {
    message = u.message;
    delivery = u.delivery;
  } else {
    const shape = u.delivery.shape;
    const envelope = pushEnvelopeFromJson(u.dataValue !== undefined ? u.dataValue : parseJson(u.data, shape, u.dataPath), shape, u.dataPath);
    message = toMessage(envelope.message, shape, below(u.dataPath, 'message'));
    // The data's own subscription and attempt first; a push that carried the CloudEvent (pubsub-push-cloudevent) may add its own.
    const d = u.delivery;
    delivery = withDeliveryMetadata(
      { shape: d.shape, cloudEvent: d.cloudEvent, raw: d.raw, attributes: message.attributes },
      {
        subscription: envelope.subscription ?? d.subscription,
        orderingKey: message.orderingKey ?? d.orderingKey,
        deliveryAttempt: envelope.deliveryAttempt ?? d.deliveryAttempt,
      },
    );
  }
  const where = topicOfResource(context.source);
  const project = where?.project ?? projectOfSubscription(delivery.subscription);
  // Objects below start with a plain property, never with a spread: on Node 20 a literal that
  // starts with a spread and then adds properties costs ~0.4 µs per property (V8's slow path).
  const carrier: EventBase = {
    delivery,
    ...context,
    ...(project !== undefined && { project }),
    ...(where && { topic: where.topic }),
  };
  return { message, carrier };
}

export function pubsubMessageEvent(message: PubSubMessage, carrier: EventBase): PubSubMessageEvent {
  return {
    kind: 'pubsub.message',
    ...carrier,
    message,
    text: () => textOf(message.data),
    json: <T>() => jsonOf<T>(message.data, 'pubsub-message'),
  };
}

/** `//pubsub.googleapis.com/projects/P/topics/T` or `projects/P/topics/T` -> {project, topic}. */
export function topicOfResource(resource: string | undefined): { project: string; topic: string } | undefined {
  const m = /^(?:\/\/pubsub\.googleapis\.com\/)?projects\/([^/]+)\/topics\/([^/]+)$/.exec(resource ?? '');
  return m ? { project: m[1], topic: m[2] } : undefined;
}

/** `projects/P/subscriptions/S` -> P */
export function projectOfSubscription(subscription: string | undefined): string | undefined {
  return /^projects\/([^/]+)\/subscriptions\/[^/]+$/.exec(subscription ?? '')?.[1];
}
