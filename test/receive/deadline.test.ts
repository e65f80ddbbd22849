/**
 * Stage deadline: past it the request is answered `late` and the routes' signal
 * aborts; in time, the rest's outcome is the answer. Bounded: a 30 ms deadline
 * against work that never ends, not a measure of time.
 */
import { deadline } from '../../functions/receive/deadline';
import type { AbortSource } from '../../functions/support/abort-source';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('deadline stage', () => {
  it('in time: the rest answers', async () => {
    await expect(deadline(10_000)(incomingOf().request, nextOf())).resolves.toBe(PASSED);
  });

  it('past it: late, and the signal the routes see is aborted', async () => {
    const { request } = incomingOf();
    const outcome = await deadline(30)(
      request,
      nextOf(() => new Promise(() => undefined)),
    );
    expect(outcome).toMatchObject({ kind: 'late', deadlineMs: 30 });
    expect(request.signal?.aborted).toBe(true);
  });

  it('the request aborted from outside aborts the routes too', async () => {
    const outer = new AbortController();
    const { request } = incomingOf({}, outer.signal);
    let seen: AbortSource | undefined;
    const done = deadline(10_000)(
      request,
      nextOf(async () => ((seen = request.signal), outer.abort(new Error('client gone')), PASSED)),
    );
    await expect(done).resolves.toBe(PASSED);
    expect(seen).not.toBe(outer.signal);
    expect(seen?.aborted).toBe(true);
  });
});
