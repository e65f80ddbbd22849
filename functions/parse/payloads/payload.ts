/**
 * The contract of an event family's payload module: which CloudEvent types it
 * reads, and how it reads one, or a Pub/Sub message that is its notification.
 * parse/interpret.ts holds the table of modules; a new family is a module here
 * and one line there.
 */
import type { EventBase, PubSubMessage, RouterEvent } from '../event';
import type { Unwrapped } from '../unwrapped';

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
