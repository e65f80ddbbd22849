/**
 * Limits: a body larger than MAX_BODY_BYTES answers a clear 413 (the receive limits
 * are read from the environment as given, never from a secret); an event still
 * running at EVENT_DEADLINE_SECONDS answers 503 (redelivered) and its handler is
 * told to stop; SIGTERM under load through the real service loses no request in
 * flight and exits 0.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { createApp } from '../../functions/app';
import { memorySink } from '../../functions/support/logger';
import { startService } from '../support/service';
import { pushOf } from '../support/idempotency-harness';

describe('body size bound', () => {
  it('a body over MAX_BODY_BYTES is 413 with a message saying so; at the bound it is handled', async () => {
    const app = createApp({ env: { MAX_BODY_BYTES: '2048' }, sink: memorySink() });
    const big = pushOf('m1');
    const padded = { ...big, body: Buffer.from(JSON.stringify({ ...JSON.parse(big.body.toString()), pad: 'x'.repeat(3000) })) };
    const { answer } = await app.handle(padded);
    expect(answer.status).toBe(413);
    expect(answer.body).toBe('request body larger than 2048 bytes\n');
    expect((await app.handle(pushOf('m2'))).answer.status).toBe(204);
    // A declared length over the bound is refused too, before anything is parsed.
    expect((await app.handle({ ...pushOf('m3'), headers: { ...pushOf('m3').headers, 'content-length': '999999' } })).answer.status).toBe(413);
  });

  it('through the service: 413 over HTTP', async () => {
    const service = await startService({ env: { ROUTES_FILE: '', MAX_BODY_BYTES: '4096' } });
    try {
      const res = await fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: { data: 'A'.repeat(10000), messageId: '1' } }),
      });
      expect(res.status).toBe(413);
      expect(await res.text()).toContain('larger than 4096 bytes');
    } finally {
      await service.stop();
    }
  }, 30000);
});

describe('receive limits come from the environment as given', () => {
  it.each([['lean'], ['framework']] as const)(
    '%s server: a secret reference as MAX_BODY_BYTES stops start-up naming the setting (limits never wait for secrets)',
    async (server) => {
      const { spawnSync } = await import('child_process');
      const { FRAMEWORK_CLI, LEAN_SERVER, SERVICE_SOURCE } = await import('../support/service');
      const args = server === 'lean' ? [LEAN_SERVER] : [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'];
      const run = spawnSync(process.execPath, args, {
        env: { ...process.env, PORT: '0', ROUTES_FILE: '', MAX_BODY_BYTES: 'sm://test-project/limit' },
        timeout: 30000,
        encoding: 'utf8',
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(
        '"severity":"CRITICAL","message":"eventarc-router cannot start: MAX_BODY_BYTES=\\"sm://test-project/limit\\" is not a positive integer',
      );
    },
    40000,
  );
});

describe('per-event deadline', () => {
  it('past EVENT_DEADLINE_SECONDS the answer is 503 at once and the handler is aborted', async () => {
    const app = createApp({ env: { ROUTES_FILE: '', EVENT_DEADLINE_SECONDS: '0.3', ROUTE_TIMEOUT_SECONDS: '30' }, sink: memorySink(), actions: [] });
    let aborted = false;
    app.router.on({}, (_e, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = true), resolve(undefined)))), {
      name: 'slow',
    });
    const started = Date.now();
    const { answer } = await app.handle(pushOf('slow-1'));
    const took = Date.now() - started;
    expect(answer.status).toBe(503);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    await new Promise((r) => setTimeout(r, 20));
    expect(aborted).toBe(true);
  });
});

describe('SIGTERM under load (real service under functions-framework)', () => {
  it('every request in flight is answered, later ones are refused, the process exits 0', async () => {
    // A target that takes 1.5 s: the forward route keeps requests in flight while SIGTERM arrives.
    let received = 0;
    const target = http.createServer((req, res) => {
      received++;
      req.resume();
      setTimeout(() => res.writeHead(200).end('ok'), 1500);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const port = (target.address() as AddressInfo).port;
    const service = await startService({ env: { ROUTES_FILE: '', PROXY_PROTOCOL: 'http', PROXY_HOST: `127.0.0.1:${port}`, SHUTDOWN_GRACE_SECONDS: '8' } });
    try {
      const N = 40;
      const inFlight = Array.from({ length: N }, (_, i) =>
        fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushOf(`t${i}`).body }).then(
          (r) => r.status,
          () => -1,
        ),
      );
      while (received < N) await new Promise((r) => setTimeout(r, 20));
      const exited = new Promise<number | null>((r) => service.peer.process.once('exit', (code) => r(code)));
      process.kill(service.peer.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      const late = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushOf('late').body }).then(
        (r) => r.status,
        () => -1,
      );
      const statuses = await Promise.all(inFlight);
      const code = await exited;
      // 200 (with the forward result) and 204 are both acknowledgements.
      const acked = statuses.filter((s) => s === 200 || s === 204).length;
      console.log(`SIGTERM under load: ${N} in flight -> ${acked} acknowledged (2xx); late request -> ${late}; exit code ${code}`);
      expect(acked).toBe(N);
      expect([503, -1]).toContain(late);
      expect(code).toBe(0);
      expect(service.logs().some((e) => String(e['message']).includes('drained'))).toBe(true);
    } finally {
      await service.stop();
      target.close();
    }
  }, 60000);
});
