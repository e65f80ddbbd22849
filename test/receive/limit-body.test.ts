/** Stage limitBody: the body's bytes and its declared length both count against the limit. */
import { limitBody } from '../../functions/receive/limit-body';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('limitBody stage', () => {
  it.each([
    ['at the limit', 10, undefined, false],
    ['over it', 11, undefined, true],
    ['declared over it, fewer bytes sent', 3, '11', true],
    ['declared at it', 10, '10', false],
  ] as const)('%s', async (_name, bytes, declared, refused) => {
    const { request } = incomingOf({ body: Buffer.alloc(bytes), headers: declared ? { 'content-length': declared } : {} });
    const next = nextOf();
    const outcome = await limitBody(10)(request, next);
    if (!refused) return expect(outcome).toBe(PASSED);
    expect(outcome).toMatchObject({ kind: 'not-a-delivery', status: 413, reason: 'request body larger than 10 bytes' });
    expect(next).not.toHaveBeenCalled();
  });
});
