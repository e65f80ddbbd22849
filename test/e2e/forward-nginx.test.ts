/** The nginx peer the benchmark compares against really proxies to the target. */
import { startNginx } from '../support/nginx';
import { startTarget } from '../support/forward-target';

test('nginx proxy_pass relays method, headers and body to the target', async () => {
  const target = await startTarget();
  const nginx = await startNginx({ upstream: `${target.url}/events` });
  try {
    const res = await fetch(`${nginx.url}/`, { method: 'POST', headers: { 'ce-id': '1', 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(target.received).toHaveLength(1);
    expect(target.received[0]).toMatchObject({ method: 'POST', path: '/events' });
    expect(target.received[0].headers['ce-id']).toBe('1');
    expect(target.received[0].body.toString()).toBe('{"a":1}');
  } finally {
    await nginx.stop();
    await target.stop();
  }
});
