/**
 * The contract of an event family's payload module: which CloudEvent types it
 * reads, and how it reads one, or a Pub/Sub message that is its notification.
 * parse/interpret.ts holds the table of modules; a new family is a module here
 * and one line there.
 */
import type { Delivery, EventBase, PubSubMessage, RouterEvent } from '../event';
import type { Unwrapped } from '../unwrapped';
import { PayloadError } from '../errors';
import type { PayloadInput } from './payload-input';

/** The fields every event takes from its CloudEvent context; `delivery` is added by the module. */
export type EventContext = Omit<EventBase, 'delivery' | 'project' | 'topic'>;

export interface Payload {
  /** CloudEvent types whose data this module reads (Eventarc's names; 1st-gen events are converted to them). */
  readonly cloudEventTypes: readonly string[];
  /** The typed event of a delivery of one of those types. */
  fromCloudEvent?(delivery: Unwrapped, context: EventContext): RouterEvent;
  /**
   * The typed event a Pub/Sub message is when it is this family's notification (told by
   * its attributes, or its topic and content); undefined when it is not one.
   */
  fromMessage?(message: PubSubMessage, carrier: EventBase): RouterEvent | undefined;
}

/** A path below the data's place in the request: `data.name`, or `name` for a push body. */
export function below(dataPath: string, path: string): string {
  return dataPath === '' ? path : `${dataPath}.${path}`;
}

/** What a pure decoder (payload-input.ts) reads of a delivery: its attributes and data, no envelope. */
export function inputOf(u: Unwrapped): PayloadInput {
  const a = u.attributes;
  const input: { -readonly [K in keyof PayloadInput]: PayloadInput[K] } = { type: a['type'], data: u.data, extensions: a };
  if (a['subject'] !== undefined) input.subject = a['subject'];
  if (a['source'] !== undefined) input.source = a['source'];
  const contentType = u.delivery.cloudEvent.dataContentType;
  if (contentType !== undefined) input.dataContentType = contentType;
  return input;
}

// Paths a decoder names that are context attributes, not places in the data.
const ATTRIBUTE_PATHS = new Set(['type', 'datacontenttype', 'subject', 'source', 'document', 'database', 'authtype']);

/**
 * A decoder's error re-pointed at the outer path, as the request has it: `cloudevent-binary
 * data.value.fields.n: DocumentEventData: ...`. Any other error passes unchanged.
 */
export function repointed(err: unknown, shape: string, dataPath: string): unknown {
  if (!(err instanceof PayloadError)) return err;
  return err.within(shape, ATTRIBUTE_PATHS.has(err.path) ? '' : dataPath);
}

/** A decoded event completed with its context and delivery, built onto the decoder's fresh object (no spread). */
export function completed<T extends { readonly kind: string }>(decoded: T, context: EventContext, delivery: Delivery): T & EventBase {
  const event = decoded as unknown as { -readonly [K in keyof EventBase]: EventBase[K] };
  event.delivery = delivery;
  event.type = context.type;
  if (context.id !== undefined) event.id = context.id;
  if (context.source !== undefined) event.source = context.source;
  if (context.time !== undefined) event.time = context.time;
  return event as unknown as T & EventBase;
}

/** How a decoder's family is told among Pub/Sub messages (by attributes, topic) and read from one. */
export interface MessageDecoder<T> {
  claims(message: { readonly attributes: Readonly<Record<string, string>>; readonly topic?: string }): boolean;
  decode(message: PubSubMessage): T;
  /** The CloudEvent type Eventarc gives the family, which the event takes instead of messagePublished. */
  readonly type: string;
}

/**
 * A payload module for a pure decoder of CloudEvent data (and of the Pub/Sub
 * notification form, when the family has one), its errors re-pointed at the outer path.
 */
export function decoderPayload<T extends { readonly kind: string }>(
  cloudEventTypes: readonly string[],
  decode: (input: PayloadInput) => T,
  notification?: MessageDecoder<T>,
): Payload {
  const payload: { -readonly [K in keyof Payload]: Payload[K] } = {
    cloudEventTypes,
    fromCloudEvent(u, context) {
      let decoded;
      try {
        decoded = decode(inputOf(u));
      } catch (err) {
        throw repointed(err, u.delivery.shape, u.dataPath);
      }
      return completed(decoded, context, u.delivery) as unknown as RouterEvent;
    },
  };
  if (notification) {
    payload.fromMessage = (message, carrier) => {
      if (!notification.claims(carrier.topic !== undefined ? { attributes: message.attributes, topic: carrier.topic } : message)) return undefined;
      let decoded;
      try {
        decoded = notification.decode(message);
      } catch (err) {
        throw repointed(err, carrier.delivery.shape, 'message.data');
      }
      const event = completed(
        decoded,
        {
          type: notification.type,
          ...(carrier.id !== undefined && { id: carrier.id }),
          ...(carrier.source !== undefined && { source: carrier.source }),
          ...(carrier.time !== undefined && { time: carrier.time }),
        },
        carrier.delivery,
      );
      const more = event as { project?: string; topic?: string };
      if (more.project === undefined && carrier.project !== undefined) more.project = carrier.project;
      if (carrier.topic !== undefined) more.topic = carrier.topic;
      return event as unknown as RouterEvent;
    };
  }
  return payload;
}
