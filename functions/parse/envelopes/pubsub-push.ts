/** Shape D: a Pub/Sub push, wrapped (the default): `{"subscription", "message": {...}}`. */
import type { CloudEventView, PubSubMessage } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { MESSAGE_PUBLISHED, pushEnvelopeFromJson, toMessage } from '../payloads/pubsub-message';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'pubsub-push';

/** A push body has a `message` object and no 1st-gen `context`. */
export function hasMessageMember(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  return typeof o['message'] === 'object' && o['message'] !== null && !Object.hasOwn(o, 'context');
}

/** The message's own context: a push names no topic or source, so only what the message states. */
export function contextOfMessage(message: PubSubMessage): Record<string, string> {
  const attributes: Record<string, string> = { type: MESSAGE_PUBLISHED };
  if (message.id !== undefined) attributes['id'] = message.id;
  if (message.publishTime !== undefined) attributes['time'] = message.publishTime;
  return attributes;
}

/**
 * The CloudEvent Eventarc would make of a message, as forwarded: the push carries no
 * topic, so the source names the subscription (a real Pub/Sub resource), not a guess.
 */
export function cloudEventOfMessage(message: PubSubMessage, subscription: string | undefined, data: Buffer): CloudEventView {
  const attributes: Record<string, string> = { specversion: '1.0', type: MESSAGE_PUBLISHED };
  if (message.id !== undefined) attributes['id'] = message.id;
  if (subscription !== undefined) attributes['source'] = `//pubsub.googleapis.com/${subscription}`;
  if (message.publishTime !== undefined) attributes['time'] = message.publishTime;
  attributes['datacontenttype'] = 'application/json';
  return { attributes, data, dataContentType: 'application/json' };
}

function unwrap(raw: RawRequest): Unwrapped {
  const envelope = pushEnvelopeFromJson(raw.bodyJson, SHAPE, '');
  const message = toMessage(envelope.message, SHAPE, 'message');
  const { subscription, deliveryAttempt } = envelope;
  return unwrapped({
    shape: SHAPE,
    raw,
    attributes: contextOfMessage(message),
    // The push body is exactly Eventarc's messagePublished data.
    data: raw.body,
    dataPath: '',
    message,
    messageAttributes: message.attributes,
    subscription,
    deliveryAttempt,
    orderingKey: message.orderingKey,
    view: cloudEventOfMessage(message, subscription, raw.body),
  });
}

export const pubsubPush: Envelope = { shape: SHAPE, reads: 'json-body', detect: (raw) => hasMessageMember(raw.bodyJson), unwrap };
