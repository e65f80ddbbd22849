/**
 * Publishes deliveries we acknowledge without handling (rejected, or out of
 * delivery attempts) to a dead-letter Pub/Sub topic, with the raw request
 * (credentials removed) and the reason, so nothing acknowledged is lost.
 */
import type { PubSub } from '@google-cloud/pubsub';
import type { RawRequest } from '../parse/event';
import { preservable } from '../receive/raw-request';
import { onFirstUse } from '../support/on-first-use';

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
      const data = Buffer.from(JSON.stringify({ reason, ...(eventId !== undefined && { eventId }), request: preservable(raw) }));
      return topic.publishMessage({
        data,
        attributes: { reason: reason.slice(0, 1000), ...(eventId !== undefined && { eventId }) },
      });
    },
  };
}
