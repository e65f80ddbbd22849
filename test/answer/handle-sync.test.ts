/**
 * The synchronous pipeline (answer/handle-sync.ts) and the async stages answer
 * alike: every request fixture, plus a handler that throws, one that answers
 * later, a body over the limit and the health paths, through an app without
 * asynchronous stages (synchronous) and one with an event deadline (the stages),
 * give the same status, body and log lines.
 */
import { createApp, type App } from '../../functions/app';
import { memorySink } from '../../functions/support/logger';
import type { RawRequest } from '../../functions/receive/raw-request';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const requests: [string, RawRequest][] = loadRequestFixtures().map((f) => [f.name, rawOf(f)]);
const push = requests.find(([name]) => name === 'D-push-plain')![1];
requests.push(
  ['health', { method: 'GET', path: '/healthz', headers: {}, body: Buffer.alloc(0) }],
  ['too large', { ...push, headers: { ...push.headers, 'content-length': '99999999' } }],
  ['a throwing route', { ...push, path: '/throw' }],
  ['a route answering later', { ...push, path: '/later' }],
);

function appOf(env: Record<string, string>) {
  const sink = memorySink();
  const app = createApp({ env, sink });
  sink.lines.length = 0; // drop the start-up routes table
  return { app, sink };
}

async function run(app: App, raw: RawRequest) {
  const { answer, outcome } = await app.handle(raw);
  return { status: answer.status, body: answer.body, kind: outcome.kind };
}

const messages = (sink: ReturnType<typeof memorySink>) => sink.entries().map((e) => `${String(e['severity'])} ${String(e['message']).split('\n')[0]}`);

describe('handleSync and the stages agree', () => {
  it('the setups take the two paths', async () => {
    expect(appOf({}).app.handle(push)).not.toBeInstanceOf(Promise);
    const later = appOf({ EVENT_DEADLINE_SECONDS: '10' }).app.handle(push);
    expect(later).toBeInstanceOf(Promise);
    await later;
  });

  it.each(requests)('%s', async (_name, raw) => {
    const sync = appOf({});
    const staged = appOf({ EVENT_DEADLINE_SECONDS: '10' });
    // Besides the default log route: one that throws or answers later for the paths above.
    for (const { app } of [sync, staged]) {
      app.router.on(
        { kind: 'pubsub.message' },
        async () => {
          if (raw.path === '/later') await new Promise((r) => setTimeout(r, 5));
          if (raw.path === '/throw') throw new Error('boom');
        },
        { name: 'extra' },
      );
    }
    expect(await run(sync.app, raw)).toEqual(await run(staged.app, raw));
    expect(messages(sync.sink)).toEqual(messages(staged.sink));
  });
});
