/** Stage authenticate: the check's verdict decides; a refusal names its kind and never runs the rest. */
import { authenticate } from '../../functions/receive/authenticate';
import type { AuthCheck } from '../../functions/receive/auth/check';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('authenticate stage', () => {
  it('admits what the check admits', async () => {
    const check: AuthCheck = async () => ({ ok: true, principal: 'sa@example.com' });
    await expect(authenticate(check)(incomingOf().request, nextOf())).resolves.toBe(PASSED);
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [503, 'unavailable'],
  ] as const)('refuses with %i %s', async (status, reason) => {
    const next = nextOf();
    const outcome = await authenticate(async () => ({ ok: false, status }))(incomingOf().request, next);
    expect(outcome).toEqual({ kind: 'unauthenticated', status, reason });
    expect(next).not.toHaveBeenCalled();
  });
});
