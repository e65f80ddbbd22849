/**
 * Publishes deliveries we acknowledge without handling (rejected, or out of
 * delivery attempts) to a dead-letter Pub/Sub topic, with the raw request
 * (credentials removed) and the reason, so nothing acknowledged is lost.
 * Every dead letter is made to fit Pub/Sub's limits, so publishing it cannot
 * fail on its size and loop the delivery.
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { RawRequest } from '../receive/raw-request';
import { preservedRequest, type PreservedRequest } from './preserved-request';
import { onFirstUse } from '../support/on-first-use';
import { utf8Prefix } from '../support/utf8';

export interface DeadLetterSettings {
  /** `projects/P/topics/T`, or a topic id in the configured project. */
  readonly topic: string;
  readonly projectId?: string;
  /** For tests: a client already made. */
  readonly client?: PubSub;
}

export interface DeadLetters {
  publish(raw: RawRequest, reason: string, eventId?: string): Promise<string>;
}

/** Pub/Sub allows 1,024 bytes per attribute value (UTF-8). */
export const MAX_ATTRIBUTE_BYTES = 1024;
/**
 * Room for the encoded body in the message data: Pub/Sub allows 10 MB per message;
 * the rest holds the reason, event id and headers (bounded by the server).
 */
export const DEAD_LETTER_BODY_BYTES = 9 * 1000 * 1000;

/** The longest prefix of `text` whose UTF-8 form is at most `maxBytes`, never splitting a character. */
export function cutToUtf8Bytes(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= maxBytes ? text : utf8Prefix(bytes, maxBytes).toString('utf8');
}

export interface DeadLetter {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

/** The message for one delivery: within every Pub/Sub limit whatever the request, reason or id. */
export function deadLetterOf(raw: RawRequest, reason: string, eventId?: string): DeadLetter {
  const request: PreservedRequest = preservedRequest(raw, DEAD_LETTER_BODY_BYTES);
  const shownReason = cutToUtf8Bytes(reason, MAX_ATTRIBUTE_BYTES);
  const shownId = eventId === undefined ? undefined : cutToUtf8Bytes(eventId, MAX_ATTRIBUTE_BYTES);
  const data = Buffer.from(
    JSON.stringify({
      reason,
      ...(shownId !== undefined && { eventId: shownId, ...(shownId !== eventId && { eventIdLength: eventId!.length }) }),
      request,
    }),
  );
  return { data, attributes: { reason: shownReason, ...(shownId !== undefined && { eventId: shownId }) } };
}

/**
 * A publish error that no retry can cure (the request itself is refused), as opposed
 * to the topic being unreachable, missing or forbidden for now (an operator can fix
 * those, so the delivery is redelivered meanwhile). gRPC codes: 3 INVALID_ARGUMENT,
 * 11 OUT_OF_RANGE.
 */
export function isPermanentPublishError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 3 || code === 11;
}

export function createDeadLetters(settings: DeadLetterSettings): DeadLetters {
  // Loaded on first use: the Pub/Sub client is heavy and cold start is measured.
  const clientOf = onFirstUse<PubSub>(async () => {
    if (settings.client) return settings.client;
    const { PubSub: Client } = await import('@google-cloud/pubsub');
    return new Client({ ...(settings.projectId && { projectId: settings.projectId }) });
  });
  return {
    async publish(raw, reason, eventId) {
      const topic = (await clientOf()).topic(settings.topic);
      return topic.publishMessage(deadLetterOf(raw, reason, eventId));
    },
  };
}
