/** Stage health: the two health paths answer before admission; /readyz says not ready while draining, /healthz stays alive. */
import { health } from '../../functions/receive/health';
import { createInFlight } from '../../functions/receive/shutdown';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('health stage', () => {
  it.each([
    ['GET', '/healthz', false, { kind: 'health', ready: true }],
    ['GET', '/readyz', false, { kind: 'health', ready: true }],
    ['GET', '/healthz', true, { kind: 'health', ready: true }],
    ['GET', '/readyz', true, { kind: 'health', ready: false }],
    ['POST', '/healthz', false, PASSED],
    ['GET', '/', false, PASSED],
  ] as const)('%s %s, draining %s', async (method, path, draining, expected) => {
    const inFlight = createInFlight();
    if (draining) await inFlight.drain(0);
    const next = nextOf();
    await expect(health(inFlight)(incomingOf({ method, path }).request, next)).resolves.toEqual(expected);
    expect(next).toHaveBeenCalledTimes(expected === PASSED ? 1 : 0);
  });
});
