/**
 * Stage: the rest of the pipeline under the per-event deadline. Past it the
 * request is answered 503 (Pub/Sub redelivers) and the routes' signal aborts.
 * Per request: one controller and one timer, in this call only.
 */
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import type { Incoming } from './incoming';

export function deadline(deadlineMs: number): Stage<Incoming, Outcome> {
  return async (request, next) => {
    const outer = request.signal;
    const controller = new AbortController();
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    request.signal = controller.signal;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('event deadline'));
        resolve({
          kind: 'late',
          deadlineMs,
          line: {
            message: `event deadline passed: answered 503 to be redelivered`,
            fields: { request: { method: request.raw.method, path: request.raw.path } },
          },
        });
      }, deadlineMs);
    });
    try {
      return await Promise.race([next(), late]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  };
}
