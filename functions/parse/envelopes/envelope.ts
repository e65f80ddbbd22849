/**
 * The contract every delivery shape implements, and what it hands on. An envelope
 * only recognises its shape and takes it apart: the CloudEvent it carries (context
 * attributes and data bytes) and how it was delivered. What the event means is
 * decided afterwards, once, by parse/interpret.ts, whatever the shape was.
 */
import type { DeliveryShape } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import type { Unwrapped } from '../unwrapped';

export interface Envelope {
  readonly shape: DeliveryShape;
  /**
   * What detection reads: `headers` (and path) alone, or the body as JSON. parse/delivery.ts
   * asks header envelopes first and parses the body once, into `raw.bodyJson`, before the others.
   */
  readonly reads: 'headers' | 'json-body';
  detect(raw: RawRequest): boolean;
  /** Throws a PayloadError naming the outer path (e.g. `ce-id`, `message.data`) when the shape is broken. */
  unwrap(raw: RawRequest): Unwrapped;
}
