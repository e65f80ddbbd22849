/**
 * Shape E: a Pub/Sub push with `noWrapper`: the body is the message data itself.
 * With `writeMetadata` the message id, publish time, subscription and every
 * attribute arrive as headers; that is how we recognise it. Without metadata a
 * push is indistinguishable from any POST, so such subscriptions push to the path
 * `/nowrapper` (see README).
 */
import type { PubSubMessage } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { MESSAGE_PUBLISHED } from '../payloads/pubsub-message';
import { isCredentialHeader } from '../credential-headers';
import { setAttribute } from '../cloudevent-attributes';
import { contextOfMessage } from './pubsub-push';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'pubsub-push-nowrapper';
export const NOWRAPPER_PATH = '/nowrapper';

// Headers that HTTP, Cloud Run's or Google's front end, a proxy or Pub/Sub itself add: never message attributes.
const NOT_ATTRIBUTES = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'traceparent',
  'tracestate',
  'baggage',
  'forwarded',
  'via',
  'x-real-ip',
  'from',
  'expect',
  'te',
  'trailer',
  'keep-alive',
  'upgrade',
  'origin',
  'referer',
  'cache-control',
  'pragma',
  'function-execution-id',
]);
const FRONT_END_PREFIXES = ['x-goog-', 'x-google-', 'x-forwarded-', 'x-cloud-', 'x-appengine-', 'x-envoy-', 'x-request-', 'ce-'];

/**
 * A header is a message attribute unless HTTP or the platform put it there, or it is a
 * credential of any form (credential-headers.ts): a name cannot be allow-listed, as
 * every attribute arrives as a bare header, so credentials are excluded by the words
 * their names contain. An attribute with such a name needs the wrapped push.
 */
export function isAttributeHeader(name: string): boolean {
  if (NOT_ATTRIBUTES.has(name) || isCredentialHeader(name)) return false;
  for (const prefix of FRONT_END_PREFIXES) if (name.startsWith(prefix)) return false;
  return true;
}

// HTTP lower-cases header names; the documented Cloud Storage notification attributes get their case back.
const KNOWN_ATTRIBUTES = new Map(
  [
    'eventType',
    'payloadFormat',
    'bucketId',
    'objectId',
    'objectGeneration',
    'eventTime',
    'notificationConfig',
    'overwroteGeneration',
    'overwrittenByGeneration',
  ].map((n) => [n.toLowerCase(), n]),
);

export function isNoWrapperPush(raw: RawRequest): boolean {
  return raw.headers['x-goog-pubsub-message-id'] !== undefined || raw.headers['x-goog-pubsub-subscription-name'] !== undefined || raw.path === NOWRAPPER_PATH;
}

function unwrap(raw: RawRequest): Unwrapped {
  const h = raw.headers;
  const attributes: Record<string, string> = {};
  for (const name in h) if (isAttributeHeader(name)) setAttribute(attributes, KNOWN_ATTRIBUTES.get(name) ?? name, h[name]);
  const id = h['x-goog-pubsub-message-id'];
  const publishTime = h['x-goog-pubsub-publish-time'];
  const subscription = h['x-goog-pubsub-subscription-name'];
  const orderingKey = h['x-goog-pubsub-ordering-key'];
  const message: PubSubMessage = {
    data: raw.body,
    attributes,
    ...(id !== undefined && { id }),
    ...(publishTime !== undefined && { publishTime }),
    ...(orderingKey !== undefined && { orderingKey }),
  };
  // As forwarded: the message data itself, under the type and source Eventarc would give it.
  const view: Record<string, string> = { specversion: '1.0', type: MESSAGE_PUBLISHED };
  if (id !== undefined) view['id'] = id;
  if (subscription !== undefined) view['source'] = `//pubsub.googleapis.com/${subscription}`;
  if (publishTime !== undefined) view['time'] = publishTime;
  const contentType = h['content-type'];
  return unwrapped({
    shape: SHAPE,
    raw,
    attributes: contextOfMessage(message),
    data: raw.body,
    message,
    messageAttributes: attributes,
    subscription,
    orderingKey,
    view: { attributes: view, data: raw.body, ...(contentType !== undefined && { dataContentType: contentType }) },
  });
}

export const pubsubPushNoWrapper: Envelope = { shape: SHAPE, reads: 'headers', detect: isNoWrapperPush, unwrap };
