/**
 * runDelivery as a user's test sees it: every real request fixture answered as the
 * service answers it, and each outcome (handled with a result, retried, rejected and
 * preserved, unmatched, not a delivery) with its status, body, route results and log lines.
 */
import * as path from 'path';
import { createRouter, PermanentError, RetryableError } from '../../functions/library';
import { deliveries, fromFixture, runDelivery } from '../../functions/testing';
import { FIXTURES, loadRequestFixtures } from '../support/fixtures';

describe('runDelivery', () => {
  const fixtures = loadRequestFixtures();

  it.each(fixtures.map((f) => [f.name, f] as const))('answers fixture %s as the service does', async (name, fixture) => {
    const router = createRouter({ env: {} }).on({}, () => undefined, { name: 'all' });
    const result = await runDelivery(router, fromFixture(path.join(FIXTURES, 'requests', `${name}.json`)));
    expect(result.status).toBe(fixture.expect.status);
    if (fixture.expect.event?.['kind'] !== undefined) expect(result.event?.kind).toBe(fixture.expect.event['kind']);
    if (fixture.expect.reason) expect(result.reason).toContain(fixture.expect.reason);
  });

  it('reports what each route did, the answer and the lines, and keeps the lines off stdout', async () => {
    const written: string[] = [];
    const router = createRouter({ env: {}, sink: { write: (l) => void written.push(l) } })
      .on(
        { kind: 'storage.object', name: { pathPattern: 'releases/{version}/{file=**}' } },
        (event, ctx) => {
          ctx.log.info(`releasing ${ctx.params.version}`);
          return { summary: `released ${ctx.params.file}`, details: { bytes: event.object.size } };
        },
        { name: 'release' },
      )
      .on({ kind: 'storage.object', bucket: 'other' }, () => undefined, { name: 'other' });
    const result = await runDelivery(router, deliveries.storageObject({ bucket: 'b', name: 'releases/1.2/app.tgz', size: 7 }));
    expect(result).toMatchObject({ outcome: 'handled', status: 200, acknowledged: true });
    expect(result.routes).toEqual([
      { route: 'release', status: 'done', durationMs: expect.any(Number), result: { summary: 'released app.tgz', details: { bytes: 7n } } },
    ]);
    expect(result.json).toEqual({ acknowledged: true, handled: true, results: [{ route: 'release', summary: 'released app.tgz', details: { bytes: '7' } }] });
    // The handler's line, then the route's own line (docs/observability.md).
    expect(result.logs.map((l) => [l['severity'], l['message']])).toEqual([
      ['INFO', 'releasing 1.2'],
      ['INFO', 'route release: handled'],
    ]);
    expect(written).toEqual([]);
    // echo: the router's sink gets them too.
    await runDelivery(router, deliveries.storageObject({ bucket: 'b', name: 'releases/1.3/x' }), { echo: true });
    expect(written.map((l) => JSON.parse(l).message)).toEqual(['releasing 1.3', 'route release: handled']);
  });

  it('retries a RetryableError (503, redelivered) and acknowledges a PermanentError with the request preserved', async () => {
    const router = createRouter({ env: {} })
      .on({ attributes: { fail: 'later' } }, () => Promise.reject(new RetryableError('registry unavailable')), { name: 'later' })
      .on(
        { attributes: { fail: 'never' } },
        () => {
          throw new PermanentError('no such image');
        },
        { name: 'never' },
      );
    const retry = await runDelivery(router, deliveries.pubsubMessage({ attributes: { fail: 'later' } }));
    expect(retry).toMatchObject({ outcome: 'retry', status: 503, acknowledged: false });
    expect(retry.routes).toEqual([{ route: 'later', status: 'retry', reason: 'registry unavailable', unavailable: true, durationMs: expect.any(Number) }]);
    expect(retry.logs[0]).toMatchObject({ severity: 'WARNING' });

    const rejected = await runDelivery(router, deliveries.pubsubMessage({ id: 'm-1', attributes: { fail: 'never' } }));
    expect(rejected).toMatchObject({ outcome: 'rejected', status: 200, acknowledged: true, reason: 'route never: no such image' });
    expect(rejected.json).toEqual({ acknowledged: true, handled: false, reason: 'route never: no such image', eventId: 'm-1' });
    expect(rejected.logs[0]).toMatchObject({ severity: 'ERROR', request: { method: 'POST' } });
  });

  it('acknowledges an event no route takes, and refuses what is no delivery', async () => {
    const router = createRouter({ env: {} }).on({ kind: 'registry.image' }, () => undefined);
    expect(await runDelivery(router, deliveries.pubsubMessage({ data: 'x' }))).toMatchObject({
      outcome: 'unmatched',
      status: 204,
      acknowledged: true,
      routes: [],
    });
    expect(await runDelivery(router, deliveries.request({ method: 'GET' }))).toMatchObject({ outcome: 'not-a-delivery', status: 405, acknowledged: false });
    const broken = await runDelivery(router, deliveries.request({ headers: { 'content-type': 'application/json' }, body: '{"message":{"data":"%%%"}}' }));
    expect(broken).toMatchObject({ outcome: 'rejected', status: 200 });
    expect(broken.reason).toContain('base64');
  });

  it('runs deliveries through one router one at a time, each with its own lines', async () => {
    const router = createRouter({ env: {} }).on({ kind: 'pubsub.message' }, async (event, ctx) => {
      ctx.log.info(`start ${event.text()}`);
      await new Promise((r) => setImmediate(r));
      ctx.log.info(`end ${event.text()}`);
    });
    const results = await Promise.all(['a', 'b', 'c'].map((data) => runDelivery(router, deliveries.pubsubMessage({ data }))));
    expect(results.map((r) => r.logs.map((l) => l['message']))).toEqual([
      ['start a', 'end a', 'route route-1: handled'],
      ['start b', 'end b', 'route route-1: handled'],
      ['start c', 'end c', 'route route-1: handled'],
    ]);
  });

  it('refuses what is not a router of createRouter()', async () => {
    await expect(runDelivery({} as never, deliveries.pubsubMessage())).rejects.toThrow('not a router made by createRouter()');
  });
});
