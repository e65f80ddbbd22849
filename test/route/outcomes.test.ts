/**
 * Status codes are redelivery decisions: a handler's success, retryable error,
 * permanent error, unexpected throw or timeout each give the answer Pub/Sub needs.
 */
import { createApp } from '../../functions/app';
import { PermanentError, RetryableError } from '../../functions/act/errors';
import { memorySink } from '../../functions/support/logger';
import type { RouterEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const push = rawOf(loadRequestFixtures().find((f) => f.name === 'D-push-plain')!);
const withAuth: RawRequest = { ...push, headers: { ...push.headers, authorization: 'Bearer secret-token' } };

function appWith(...handlers: ((e: RouterEvent) => unknown)[]) {
  const sink = memorySink();
  const app = createApp({ env: { ROUTES_FILE: '' }, sink, actions: [] });
  handlers.forEach((h, i) => app.router.on({ kind: 'pubsub.message' }, async (e) => void (await h(e)), { name: `r${i}`, timeoutMs: 200 }));
  return { app, sink };
}

describe('outcomes', () => {
  it('handled: 204, each matching route runs once', async () => {
    const seen: string[] = [];
    const { app } = appWith(
      (e) => seen.push(`a:${e.id}`),
      (e) => seen.push(`b:${e.id}`),
    );
    const { answer } = await app.handle(push);
    expect(answer.status).toBe(204);
    expect(seen.sort()).toEqual(['a:1036', 'b:1036']);
  });

  it("handled with a report: 200 with each route's summary (still an acknowledgement)", async () => {
    const { app } = appWith();
    app.router.on({}, () => ({ summary: 'copied gs://a/x to gs://b/x', details: { bytes: 42n } }), { name: 'copy' });
    const { answer } = await app.handle(push);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body!)).toEqual({
      acknowledged: true,
      handled: true,
      results: [{ route: 'copy', summary: 'copied gs://a/x to gs://b/x', details: { bytes: '42' } }],
    });
  });

  it('no route matched: 204 and an INFO line naming the event', async () => {
    const { app, sink } = appWith();
    app.router.on({ kind: 'storage.object' }, () => undefined);
    const { answer } = await app.handle(push);
    expect(answer.status).toBe(204);
    const line = sink.entries().find((e) => String(e['message']).startsWith('no route matched'));
    expect(line).toMatchObject({ severity: 'INFO', eventId: '1036' });
    expect(line!['message']).toBe(
      'no route matched pubsub.message event 1036: Pub/Sub message 1036 on subscription projects/test-project/subscriptions/s-plain (17 bytes)',
    );
  });

  it('an image no route wants is logged as "no image will be updated" with its reference', async () => {
    const { app, sink } = appWith();
    const gcr = rawOf(loadRequestFixtures().find((f) => f.name === 'G-push-gcr-insert')!);
    expect((await app.handle(gcr)).answer.status).toBe(204);
    const line = sink.entries().find((e) => String(e['message']).startsWith('no route matched'));
    expect(line!['message']).toBe(
      `no route matched: no image will be updated for us-docker.pkg.dev/test-project/repo/img:latest@sha256:${'0123456789abcdef'.repeat(4)} (inserted)`,
    );
  });

  it('retryable error: 503 so Pub/Sub redelivers', async () => {
    const { app } = appWith(() => {
      throw new RetryableError('target down');
    });
    const { answer } = await app.handle(push);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('r0');
  });

  it('unexpected error: 500, redelivered', async () => {
    const { app } = appWith(() => {
      throw new TypeError('bug');
    });
    expect((await app.handle(push)).answer.status).toBe(500);
  });

  it('timeout: 503 without waiting for the handler', async () => {
    let aborted = false;
    const { app } = appWith();
    app.router.on(
      {},
      (_e, ctx) =>
        new Promise((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          }),
        ),
      { timeoutMs: 50, name: 'slow' },
    );
    const started = Date.now();
    const { answer } = await app.handle(push);
    expect(answer.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(aborted).toBe(true);
  });

  it('permanent error: 200 with the reason, raw request preserved without credentials', async () => {
    const { app, sink } = appWith(() => {
      throw new PermanentError('target said 400');
    });
    const { answer } = await app.handle(withAuth);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body!)).toMatchObject({ acknowledged: true, handled: false, reason: 'route r0: target said 400', eventId: '1036' });
    const error = sink.entries().find((e) => e['severity'] === 'ERROR')!;
    expect(error['request']).toMatchObject({ body: push.body.toString() });
    expect(JSON.stringify(sink.lines)).not.toContain('secret-token');
  });

  it('a route may declare which errors are permanent', async () => {
    const { app } = appWith();
    app.router.on(
      {},
      () => {
        throw Object.assign(new Error('HTTP 404'), { status: 404 });
      },
      { isPermanent: (e) => (e as { status?: number }).status === 404 },
    );
    expect((await app.handle(push)).answer.status).toBe(200);
  });

  it('a route from code can be idempotent: a redelivery after success does not run it again, one after failure does', async () => {
    const { app } = appWith();
    let runs = 0;
    let fail = true;
    app.router.on(
      {},
      () => {
        runs++;
        if (fail) throw new RetryableError('first attempt fails');
      },
      { name: 'once', idempotent: true },
    );
    expect((await app.handle(push)).answer.status).toBe(503);
    fail = false;
    expect((await app.handle(push)).answer.status).toBeLessThan(300);
    expect((await app.handle(push)).answer.status).toBeLessThan(300);
    expect(runs).toBe(2);
  });

  it('a retry wins over a success on another route (the event must come back)', async () => {
    const { app } = appWith(
      () => undefined,
      () => {
        throw new RetryableError('later');
      },
    );
    expect((await app.handle(push)).answer.status).toBe(503);
  });

  it('concurrent requests keep their own trace and labels', async () => {
    const sink = memorySink();
    const app = createApp({ env: {}, sink });
    const traced = (i: number): RawRequest => ({
      ...push,
      headers: { ...push.headers, traceparent: `00-${String(i).padStart(32, '0')}-${'1'.padStart(16, '0')}-01` },
      body: Buffer.from(push.body.toString().replace(/"1036"/g, `"id-${i}"`)),
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => app.handle(traced(i + 1))));
    const logged = sink.entries().filter((e) => e['logging.googleapis.com/labels']);
    // Each event: the default log route's line and that route's outcome line.
    expect(logged).toHaveLength(40);
    for (const e of logged) {
      const id = (e['logging.googleapis.com/labels'] as { eventId: string }).eventId;
      expect(String(e['logging.googleapis.com/trace'])).toContain(id.replace('id-', '').padStart(32, '0'));
    }
  });
});
