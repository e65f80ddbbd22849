/**
 * A delivery taken out of its envelope: the one record every shape produces and the
 * interpreter reads (CloudEvent attributes, data bytes, delivery metadata), with its
 * one constructor. Envelopes (parse/envelopes/) make it; payloads (parse/payloads/) read it.
 */
import type { CloudEventView, Delivery, DeliveryShape, PubSubMessage } from './event';
import type { RawRequest } from '../receive/raw-request';

/** The CloudEvent the event is interpreted by, its data, and the record the handler sees as `event.delivery`. */
export interface Unwrapped {
  /**
   * The event's own context attributes, as it states them (`type` always; `id`,
   * `source`, `time`, `subject` and extensions when the shape carries them). A push
   * names no source of its own, so none is invented here.
   */
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: Buffer;
  /** The data already parsed as JSON, when the shape had to parse it anyway (never parsed twice). */
  readonly dataValue?: unknown;
  /** Where the data sits in the request, so a payload's error names the outer path (`data`, or `` for a push body). */
  readonly dataPath: string;
  /** The Pub/Sub message, when the carrier is one (push, noWrapper push, 1st-gen publish): notifications are read from it. */
  readonly message: PubSubMessage | undefined;
  /** A 1st-gen event's resource name: it names what the CloudEvent source cannot (a real project, an object generation). */
  readonly resource: string | undefined;
  readonly delivery: Delivery;
}

export interface UnwrappedParts {
  readonly shape: DeliveryShape;
  readonly raw: RawRequest;
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: Buffer;
  readonly dataValue?: unknown;
  readonly dataContentType?: string | undefined;
  readonly dataPath?: string;
  readonly message?: PubSubMessage;
  readonly resource?: string;
  /** Pub/Sub delivery metadata: the message's attributes, subscription, attempt and ordering key. */
  readonly messageAttributes?: Readonly<Record<string, string>>;
  readonly subscription?: string | undefined;
  readonly deliveryAttempt?: number | undefined;
  readonly orderingKey?: string | undefined;
  /** The CloudEvent as forwarded, when it differs from the event's own attributes (a push's Eventarc-style view). */
  readonly view?: CloudEventView;
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/** The one constructor of an Unwrapped and its delivery record: no envelope assembles either by hand. */
export function unwrapped(p: UnwrappedParts): Unwrapped {
  const dataContentType = p.dataContentType;
  const cloudEvent: CloudEventView =
    p.view ?? (dataContentType !== undefined ? { attributes: p.attributes, data: p.data, dataContentType } : { attributes: p.attributes, data: p.data });
  const record = { shape: p.shape, attributes: p.messageAttributes ?? NO_ATTRIBUTES, cloudEvent, raw: p.raw };
  const delivery = p.subscription === undefined && p.deliveryAttempt === undefined && p.orderingKey === undefined ? record : withDeliveryMetadata(record, p);
  // Every field present, set or undefined: one object shape for every envelope.
  return { attributes: p.attributes, data: p.data, dataValue: p.dataValue, dataPath: p.dataPath ?? 'data', message: p.message, resource: p.resource, delivery };
}

/** The delivery record with Pub/Sub metadata set, for a record completed by its payload (Eventarc's messagePublished data). */
export function withDeliveryMetadata(
  d: { shape: DeliveryShape; attributes: Readonly<Record<string, string>>; cloudEvent: CloudEventView; raw: RawRequest },
  m: { readonly subscription?: string | undefined; readonly deliveryAttempt?: number | undefined; readonly orderingKey?: string | undefined },
): Delivery {
  const delivery: { -readonly [K in keyof Delivery]: Delivery[K] } = d;
  if (m.subscription !== undefined) delivery.subscription = m.subscription;
  if (m.deliveryAttempt !== undefined) delivery.deliveryAttempt = m.deliveryAttempt;
  if (m.orderingKey !== undefined) delivery.orderingKey = m.orderingKey;
  return delivery;
}
