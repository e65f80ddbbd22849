/**
 * The lean server (`node dist/service/serve.js`) answers every request fixture
 * exactly as the pipeline decides: a `ce-*` event with a broken JSON body is
 * acknowledged and preserved (a body parser's 400 would be redelivered forever;
 * under the framework the router keeps its parsers off, receive/framework-guard.ts).
 */
import { loadRequestFixtures, bodyOf } from '../support/fixtures';
import { startService, type Service } from '../support/service';

let service: Service;
beforeAll(async () => {
  service = await startService({ server: 'lean', env: { ROUTES_FILE: '', MAX_BODY_BYTES: '65536' } });
});
afterAll(async () => service?.stop());

const fixtures = loadRequestFixtures();

it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
  const r = fixture.request;
  const res = await fetch(service.url + r.path, { method: r.method, headers: r.headers, ...(r.method !== 'GET' && { body: bodyOf(fixture) }) });
  const body = await res.text();
  expect(res.status).toBe(fixture.expect.status);
  if (fixture.expect.reason) expect((JSON.parse(body) as { reason: string }).reason).toContain(fixture.expect.reason);
});

it('a CloudEvent whose JSON body is broken is acknowledged with the reason and preserved, not refused', async () => {
  const res = await fetch(service.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'broken-1',
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-source': '//storage.googleapis.com/projects/_/buckets/b',
    },
    body: '{"bucket": "b", "name": ',
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ acknowledged: true, handled: false });
  const logs = await service.waitForLogs((l) => l.some((e) => e['severity'] === 'ERROR' && JSON.stringify(e).includes('broken-1')));
  const entry = logs.find((e) => e['severity'] === 'ERROR' && JSON.stringify(e).includes('broken-1'))!;
  expect((entry['request'] as { body: string }).body).toBe('{"bucket": "b", "name": ');
});

it('a body over MAX_BODY_BYTES is answered 413 and the server keeps serving', async () => {
  const res = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(200_000, 'x') });
  expect(res.status).toBe(413);
  expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
});

it('on SIGTERM it stops listening and exits 0', async () => {
  const exited = new Promise<number | null>((resolve) => service.peer.process.once('exit', (code) => resolve(code)));
  process.kill(service.peer.pid, 'SIGTERM');
  expect(await exited).toBe(0);
  await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
});
