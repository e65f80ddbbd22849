/** Shape D: a Pub/Sub push, wrapped (the default): `{"subscription", "message": {...}}`. */
import type { CloudEventView, Delivery, PubSubMessage, RouterEvent } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { MESSAGE_PUBLISHED, eventFromMessage, projectOfSubscription, pushEnvelopeFromJson, toMessage } from '../payloads/pubsub-message';

const SHAPE = 'pubsub-push';

/** A push body has a `message` object; its `subscription` is a string when present. */
export function isPushEnvelope(json: unknown): json is { message: unknown } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  return typeof o['message'] === 'object' && o['message'] !== null && !Object.hasOwn(o, 'context');
}

/**
 * The CloudEvent Eventarc would make of a message: the push carries no topic, so the
 * source names the subscription (a real Pub/Sub resource) rather than a guessed topic.
 */
export function cloudEventOfMessage(message: PubSubMessage, subscription: string | undefined, data: Buffer): CloudEventView {
  const attributes: Record<string, string> = { specversion: '1.0', type: MESSAGE_PUBLISHED };
  if (message.id !== undefined) attributes['id'] = message.id;
  if (subscription !== undefined) attributes['source'] = `//pubsub.googleapis.com/${subscription}`;
  if (message.publishTime !== undefined) attributes['time'] = message.publishTime;
  attributes['datacontenttype'] = 'application/json';
  return { attributes, data, dataContentType: 'application/json' };
}

export function parsePushEnvelope(raw: RawRequest, json: unknown): RouterEvent {
  const envelope = pushEnvelopeFromJson(json, SHAPE, '');
  const message = toMessage(envelope.message, SHAPE, 'message');
  const { subscription, deliveryAttempt } = envelope;
  const delivery: Delivery = {
    shape: SHAPE,
    attributes: message.attributes,
    ...(subscription !== undefined && { subscription }),
    ...(deliveryAttempt !== undefined && { deliveryAttempt }),
    ...(message.orderingKey !== undefined && { orderingKey: message.orderingKey }),
    // The push body is exactly Eventarc's messagePublished data.
    cloudEvent: cloudEventOfMessage(message, subscription, raw.body),
    raw,
  };
  const project = projectOfSubscription(subscription);
  return eventFromMessage(message, {
    type: MESSAGE_PUBLISHED,
    ...(message.id !== undefined && { id: message.id }),
    ...(message.publishTime !== undefined && { time: message.publishTime }),
    ...(project !== undefined && { project }),
    delivery,
  });
}
