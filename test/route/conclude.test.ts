/** conclude: any retry wins, then a permanent failure, else handled; at the attempt limit a retry becomes a rejection. */
import type { RouterEvent } from '../../functions/parse/event';
import { conclude } from '../../functions/route/conclude';
import type { RouteOutcome } from '../../functions/support/outcome';

const eventAt = (deliveryAttempt?: number) =>
  ({ id: 'm-1', type: 't', kind: 'pubsub.message', delivery: { ...(deliveryAttempt !== undefined && { deliveryAttempt }) } }) as unknown as RouterEvent;
const done: RouteOutcome = { route: 'a', status: 'done' };
const retry: RouteOutcome = { route: 'b', status: 'retry', reason: 'timeout', unavailable: true };
const flaky: RouteOutcome = { route: 'd', status: 'retry', reason: 'TypeError', unavailable: false };
const permanent: RouteOutcome = { route: 'c', status: 'permanent', reason: 'bad input' };

describe('conclude', () => {
  it.each([
    ['all done', [done], undefined, undefined, 'handled'],
    ['a retry among successes', [done, retry], undefined, undefined, 'retry'],
    ['a retry wins over a permanent failure', [permanent, retry], undefined, undefined, 'retry'],
    ['a permanent failure', [done, permanent], undefined, undefined, 'rejected'],
    ['a retry before the attempt limit', [retry], 4, 5, 'retry'],
    ['a retry at the attempt limit', [retry], 5, 5, 'rejected'],
    ['a retry past the attempt limit', [retry], 9, 5, 'rejected'],
    ['no attempt count: retried', [retry], undefined, 5, 'retry'],
    ['done at the attempt limit', [done], 5, 5, 'handled'],
  ] as const)('%s', (_name, routes, attempt, limit, kind) => {
    expect(conclude(eventAt(attempt), routes, limit).kind).toBe(kind);
  });

  it('a retry is unavailable (503) only when every cause says so', () => {
    expect(conclude(eventAt(), [retry], undefined)).toMatchObject({ unavailable: true });
    expect(conclude(eventAt(), [flaky], undefined)).toMatchObject({ unavailable: false });
    expect(conclude(eventAt(), [flaky, retry], undefined)).toMatchObject({ unavailable: true });
  });

  it('at the limit the reason names the attempt, the limit and the last failures', () => {
    const outcome = conclude(eventAt(5), [done, retry, flaky], 5);
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'delivery attempt 5 reached the limit 5; last failure: b: timeout; d: TypeError' });
    expect(outcome.kind === 'rejected' && outcome.line.message).toBe(
      'rejected event m-1 (acknowledged, will not be retried): delivery attempt 5 reached the limit 5; last failure: b: timeout; d: TypeError',
    );
  });

  it('a permanent failure names its route', () => {
    expect(conclude(eventAt(), [permanent], undefined)).toMatchObject({ kind: 'rejected', reason: 'route c: bad input' });
  });
});
