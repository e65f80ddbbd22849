/** Stage: while draining, no new request is admitted; one admitted counts as in flight until it is answered. */
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import type { Incoming } from './incoming';
import type { InFlight } from './shutdown';

export function admit(inFlight: InFlight): Stage<Incoming, Outcome> {
  return async (_request, next) => {
    const leave = inFlight.enter();
    if (!leave) return { kind: 'draining' };
    try {
      return await next();
    } finally {
      leave();
    }
  };
}
