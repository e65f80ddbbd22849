/**
 * The image runs the lean server (Cloud Run); Cloud Functions runs the same code
 * under Functions Framework. Both entry points, started as they ship
 * (`node dist/service/serve.js`, the framework's CLI with `dist/service/router.js`),
 * answer every request fixture in fixtures/requests the same way: the status the
 * fixture expects, and the same answer body, byte for byte.
 */
import { loadRequestFixtures, bodyOf, type RequestFixture } from '../support/fixtures';
import { startService, type Service } from '../support/service';

const env = { ROUTES_FILE: '', MAX_BODY_BYTES: '65536' };
let lean: Service;
let framework: Service;
beforeAll(async () => {
  [lean, framework] = await Promise.all([startService({ server: 'lean', env }), startService({ server: 'framework', env })]);
}, 60000);
afterAll(async () => {
  await Promise.all([lean?.stop(), framework?.stop()]);
});

async function answer(service: Service, fixture: RequestFixture): Promise<{ status: number; contentType: string | null; body: string }> {
  const r = fixture.request;
  const res = await fetch(service.url + r.path, { method: r.method, headers: r.headers, ...(r.method !== 'GET' && { body: bodyOf(fixture) }) });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}

const fixtures = loadRequestFixtures();

test('there are fixtures to run', () => {
  expect(fixtures.length).toBeGreaterThan(20);
});

it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
  const [fromLean, fromFramework] = await Promise.all([answer(lean, fixture), answer(framework, fixture)]);
  expect(fromLean.status).toBe(fixture.expect.status);
  expect(fromFramework).toEqual(fromLean);
  if (fixture.expect.reason) expect((JSON.parse(fromLean.body) as { reason: string }).reason).toContain(fixture.expect.reason);
});
