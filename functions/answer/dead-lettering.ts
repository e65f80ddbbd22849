/**
 * Stage: a rejected delivery is acknowledged, so it is published to the
 * dead-letter topic first (dead-letter.ts). A topic that refuses the message for
 * what it is would loop the delivery: then it is kept in the log instead, and
 * acknowledged. A topic unreachable for now: not acknowledged, so it comes back.
 */
import { shownId } from '../parse/describe-event';
import type { Incoming } from '../receive/incoming';
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import { isPermanentPublishError, type DeadLetters } from './dead-letter';
import { writeLine } from './outcome';
import { preservable } from './preserved-request';

export function deadLettering(publisher: DeadLetters): Stage<Incoming, Outcome> {
  return async (request, next) => {
    const outcome = await next();
    if (outcome.kind !== 'rejected') return outcome;
    const { raw, log } = request;
    try {
      const id = await publisher.publish(raw, outcome.reason, outcome.event?.id);
      log.info(`dead-lettered event ${shownId(outcome.event?.id)} as message ${id}`, { deadLetter: { messageId: id, reason: outcome.reason } });
      return outcome;
    } catch (err) {
      if (isPermanentPublishError(err)) {
        log.error(`dead letter refused by the topic (${(err as Error).message}); preserved here instead and acknowledged`, {
          reason: outcome.reason,
          ...(outcome.event?.id !== undefined && { eventId: shownId(outcome.event.id) }),
          request: preservable(raw),
        });
        return outcome;
      }
      // The rejection is recorded as it happened; the answer is the unavailable topic's.
      writeLine(log, raw, outcome);
      return {
        kind: 'dead-letter-unavailable',
        rejected: outcome,
        line: { message: `dead-letter publish failed; not acknowledging, so it is redelivered: ${(err as Error).message}` },
      };
    }
  };
}
