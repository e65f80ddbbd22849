/**
 * What aborts a route's run (route/dispatch.ts) reaches a handler both ways it can
 * listen: through `ctx.aborts` (no AbortSignal made: forward's way) and through
 * `ctx.signal`, looked at before or after the abort. Bounded: a 30 ms route deadline
 * against handlers that never end, not a measure of time.
 */
import type { HandlerContext } from '../../functions/act/action';
import { dispatch } from '../../functions/route/dispatch';
import { Router } from '../../functions/route/router';
import { createLogger, memorySink } from '../../functions/support/logger';
import { eventarcPubSubEvent } from '../support/events/forward';

const never = () => new Promise<void>(() => undefined);

function reasonOf(ctx: HandlerContext): string {
  return (ctx.signal.reason as Error).message;
}

describe("a route's aborts", () => {
  it('the route deadline reaches ctx.aborts listeners, and ctx.signal looked at afterwards is aborted with the same reason', async () => {
    const heard: string[] = [];
    let late: string | undefined;
    const router = new Router(30).on(
      {},
      (_e, ctx) => {
        ctx.aborts!.addEventListener('abort', () => {
          heard.push((ctx.aborts!.reason as Error).message);
          late = ctx.signal.aborted ? reasonOf(ctx) : 'not aborted';
        });
        return never();
      },
      { name: 'listener' },
    );
    const event = eventarcPubSubEvent();
    const outcomes = await dispatch(event, router.matching(event), createLogger(memorySink()));
    expect(outcomes).toMatchObject([{ route: 'listener', status: 'retry', reason: 'no answer within 30 ms' }]);
    expect(heard).toEqual(['no answer within 30 ms']);
    expect(late).toBe('no answer within 30 ms');
  });

  it("the request's abort reaches both, whichever the handler looked at first", async () => {
    const request = new AbortController();
    const seen: Record<string, string> = {};
    // The deadline only ends the run that never ends once the test is done with it.
    const router = new Router(200)
      .on(
        {},
        (_e, ctx) => {
          ctx.aborts!.addEventListener('abort', () => (seen['aborts'] = String(ctx.aborts!.reason)));
          return never();
        },
        { name: 'aborts' },
      )
      .on(
        {},
        (_e, ctx) =>
          new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(((seen['signal'] = reasonOf(ctx)), ctx.signal.reason)))),
        { name: 'signal' },
      );
    const event = eventarcPubSubEvent();
    const done = dispatch(event, router.matching(event), createLogger(memorySink()), request.signal);
    request.abort(new Error('client gone'));
    expect(seen).toEqual({ aborts: 'Error: client gone', signal: 'client gone' });
    // The request already aborted: a handler that looks now sees it at once.
    const again = new Router(10_000).on({}, (_e, ctx) => void (seen['after'] = ctx.aborts!.aborted && ctx.signal.aborted ? reasonOf(ctx) : 'no'), {
      name: 'after',
    });
    await dispatch(event, again.matching(event), createLogger(memorySink()), request.signal);
    expect(seen['after']).toBe('client gone');
    await expect(done).resolves.toMatchObject([
      { route: 'aborts', status: 'retry' },
      { route: 'signal', status: 'retry' },
    ]);
  });
});
