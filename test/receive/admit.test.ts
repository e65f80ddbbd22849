/** Stage admit: a request counts as in flight until its outcome, even a thrown one; none is admitted while draining. */
import { admit } from '../../functions/receive/admit';
import { createInFlight } from '../../functions/receive/shutdown';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('admit stage', () => {
  it('counts the request in flight while the rest runs, and not after', async () => {
    const inFlight = createInFlight();
    let during = -1;
    const next = nextOf(async () => ((during = inFlight.count), PASSED));
    await expect(admit(inFlight)(incomingOf().request, next)).resolves.toBe(PASSED);
    expect(during).toBe(1);
    expect(inFlight.count).toBe(0);
  });

  it('leaves when the rest throws', async () => {
    const inFlight = createInFlight();
    await expect(
      admit(inFlight)(
        incomingOf().request,
        nextOf(async () => Promise.reject(new Error('bug'))),
      ),
    ).rejects.toThrow('bug');
    expect(inFlight.count).toBe(0);
  });

  it('refuses while draining, without running the rest', async () => {
    const inFlight = createInFlight();
    await inFlight.drain(0);
    const next = nextOf();
    await expect(admit(inFlight)(incomingOf().request, next)).resolves.toEqual({ kind: 'draining' });
    expect(next).not.toHaveBeenCalled();
  });
});
