/**
 * A CloudEvent in a wrapped Pub/Sub push: its context attributes are the message's
 * attributes (`ce-type`, `ce-id`, ... or plain `type`, `id`, ...) and its data is the
 * message data. This is what Eventarc falls back to when an attribute cannot be an
 * HTTP header (a Firestore document id ending in a space makes `ce-subject` illegal:
 * functions-framework-nodejs PR #786, firebase-functions issue #1922), and the binary
 * mode of the CloudEvents Pub/Sub binding. The event is the one the binary delivery
 * would have given; the delivery record keeps the push's metadata.
 */
import type { RawRequest } from '../../receive/raw-request';
import { PayloadError } from '../errors';
import { isAttributeName, requireContextAttributes, setAttribute } from '../cloudevent-attributes';
import { pushEnvelopeFromJson, toMessage } from '../payloads/pubsub-message';
import { hasMessageMember } from './pubsub-push';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'pubsub-push-cloudevent';
const REQUIRED = ['specversion', 'id', 'type', 'source'];

/** `ce-` when the message names its context attributes so, `` when it uses the plain names, else undefined. */
function prefixOf(attributes: unknown): 'ce-' | '' | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  // Every push is asked: most messages have neither spec version, and are answered by this alone.
  const a = attributes as Record<string, unknown>;
  if (a['ce-specversion'] === undefined && a['specversion'] === undefined) return undefined;
  const has = (name: string) => typeof (attributes as Record<string, unknown>)[name] === 'string' && Object.hasOwn(attributes, name);
  if (REQUIRED.every((n) => has(`ce-${n}`))) return 'ce-';
  // Plain names only when all four required ones are there: a message with a `type` attribute is no CloudEvent.
  if (REQUIRED.every((n) => has(n))) return '';
  return undefined;
}

function detect(raw: RawRequest): boolean {
  return hasMessageMember(raw.bodyJson) && prefixOf((raw.bodyJson as { message: { attributes?: unknown } }).message.attributes) !== undefined;
}

function unwrap(raw: RawRequest): Unwrapped {
  const envelope = pushEnvelopeFromJson(raw.bodyJson, SHAPE, '');
  const message = toMessage(envelope.message, SHAPE, 'message');
  const prefix = prefixOf(message.attributes)!;
  const attributes: Record<string, string> = {};
  let dataContentType: string | undefined;
  for (const name of Object.keys(message.attributes)) {
    const value = message.attributes[name];
    const lower = name.toLowerCase();
    // A content type named as the HTTP binding names it is the data's.
    if (lower === 'content-type' || lower === `${prefix}datacontenttype`) {
      dataContentType = value;
      continue;
    }
    if (prefix === 'ce-' && !name.startsWith('ce-')) continue; // the message's own attributes, kept in delivery.attributes
    const attribute = name.slice(prefix.length);
    if (!isAttributeName(attribute)) {
      if (prefix === '') continue;
      throw new PayloadError(
        SHAPE,
        `message.attributes.${JSON.stringify(name.slice(0, 64))}`,
        'is not a CloudEvents attribute name (lower-case a-z and 0-9 only)',
      );
    }
    setAttribute(attributes, attribute, value);
  }
  requireContextAttributes(attributes, SHAPE, `message.attributes.${prefix}`);
  if (dataContentType !== undefined) attributes['datacontenttype'] = dataContentType;
  return unwrapped({
    shape: SHAPE,
    raw,
    attributes,
    data: message.data,
    dataContentType,
    dataPath: 'message.data',
    messageAttributes: message.attributes,
    subscription: envelope.subscription,
    deliveryAttempt: envelope.deliveryAttempt,
    orderingKey: message.orderingKey,
  });
}

export const pubsubPushCloudEvent: Envelope = { shape: SHAPE, reads: 'json-body', detect, unwrap };
