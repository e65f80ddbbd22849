/**
 * What a CloudEvent (binary or structured) means, by its type: Pub/Sub
 * messagePublished, a Storage object change, or any other event passed on as is.
 */
import type { Delivery, OtherCloudEvent, RouterEvent } from '../event';
import { PayloadError } from '../errors';
import { parseJson } from '../payloads/bytes';
import { MESSAGE_PUBLISHED, eventFromMessage, jsonOf, pushEnvelopeFromJson, toMessage, projectOfSubscription, textOf, topicOfResource } from '../payloads/pubsub-message';
import { bucketOfSource, nameOfSubject, parseStorageObject, storageChangeOfCloudEventType } from '../payloads/storage-object';

/** Context attributes needed to interpret a CloudEvent; values raw as received. */
export interface CloudEventParts {
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: Buffer;
  /** Present when the structured body held `data` as a JSON value: no need to parse bytes again. */
  readonly dataValue?: unknown;
  readonly delivery: Delivery;
}

/** ce-* header values may be percent-encoded (CloudEvents HTTP binding); the raw value is kept elsewhere. */
function percentDecoded(value: string | undefined): string | undefined {
  if (value === undefined || !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function eventFromCloudEvent(parts: CloudEventParts, shape: string): RouterEvent {
  const a = parts.attributes;
  const type = a['type']!;
  const source = a['source'];
  const dataJson = (): unknown =>
    parts.dataValue !== undefined ? parts.dataValue : parseJson(parts.data, shape, 'data');
  // Objects below start with a plain property, never with a spread: on Node 20 a literal that
  // starts with a spread and then adds properties costs ~0.4 µs per property (V8's slow path).
  const base = {
    id: a['id']!,
    type,
    ...(source !== undefined && { source }),
    ...(a['time'] !== undefined && { time: a['time'] }),
  };

  if (type === MESSAGE_PUBLISHED) {
    const envelope = pushEnvelopeFromJson(dataJson(), shape, 'data');
    const message = toMessage(envelope.message, shape, 'data.message');
    const where = topicOfResource(source);
    const subscription = envelope.subscription;
    const delivery: Delivery = {
      shape: parts.delivery.shape,
      cloudEvent: parts.delivery.cloudEvent,
      raw: parts.delivery.raw,
      attributes: message.attributes,
      ...(subscription !== undefined && { subscription }),
      ...(message.orderingKey !== undefined && { orderingKey: message.orderingKey }),
      ...(envelope.deliveryAttempt !== undefined && { deliveryAttempt: envelope.deliveryAttempt }),
    };
    const project = where?.project ?? projectOfSubscription(subscription);
    return eventFromMessage(message, {
      delivery,
      ...base,
      ...(project !== undefined && { project }),
      ...(where && { topic: where.topic }),
    });
  }

  const change = storageChangeOfCloudEventType(type);
  if (change) {
    const fallback = {
      bucket: bucketOfSource(source) ?? a['bucket'],
      name: nameOfSubject(percentDecoded(a['subject'])),
    };
    const object = parseStorageObject(dataJson(), shape, 'data', fallback);
    return { kind: 'storage.object', delivery: parts.delivery, ...base, change, object };
  }

  const other: OtherCloudEvent = {
    kind: 'cloudevent',
    delivery: parts.delivery,
    ...base,
    ...(a['subject'] !== undefined && { subject: a['subject'] }),
    ...(projectOfSource(source) !== undefined && { project: projectOfSource(source)! }),
    text: () => textOf(parts.data),
    json: <T>() => jsonOf<T>(parts.data, shape),
  };
  return other;
}

function projectOfSource(source: string | undefined): string | undefined {
  const p = /\/projects\/([^/]+)/.exec(source ?? '')?.[1];
  return p === '_' ? undefined : p;
}

/**
 * CloudEvents 1.0 attribute names: lower-case ASCII letters and digits only. Checked
 * at intake because names become `ce-*` header names when forwarded: `my ext` would
 * make a request that can never be built.
 */
export function isAttributeName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** Sets an attribute whatever its name: plain assignment of `__proto__` would replace the prototype, losing it. */
export function setAttribute(attributes: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
  else attributes[name] = value;
}

/** Refuses a name that is no CloudEvents attribute name, naming it (cut) in the error. */
export function requireAttributeName(name: string, shape: string, prefix: string): void {
  if (!isAttributeName(name)) throw new PayloadError(shape, `${prefix}${JSON.stringify(name.slice(0, 64))}`, 'is not a CloudEvents attribute name (lower-case a-z and 0-9 only)');
}

/** The required context attributes of CloudEvents 1.0. */
export function requireContextAttributes(attributes: Readonly<Record<string, string>>, shape: string, prefix: string): void {
  for (const name of ['specversion', 'id', 'type', 'source']) {
    if (!attributes[name]) throw new PayloadError(shape, `${prefix}${name}`, 'is required');
  }
  if (attributes['specversion'] !== '1.0') {
    throw new PayloadError(shape, `${prefix}specversion`, `"${attributes['specversion']}" is not supported (only 1.0)`);
  }
}

