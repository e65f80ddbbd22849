/**
 * A forward target is a peer, not a friend: one that echoes the request it got
 * (a debug endpoint, a misconfigured proxy, a hostile service) must not put the
 * ID token or API key we sent it into the route's reason, which is logged and
 * dead-lettered. Real target on 127.0.0.1, the forward handler as the router runs it.
 */
import { createLogger, memorySink } from '../../functions/support/logger';
import { createForwardHandler } from '../../functions/act/forward/handler';
import { forwardOptions } from '../../functions/act/forward/options';
import { answerSnippet, SNIPPET_BYTES } from '../../functions/act/forward/snippet';
import { eventarcPubSubEvent } from '../support/events/forward';
import { startTarget, type Target } from '../support/forward-target';

const ID_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'runtime-sa', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.c2lnbmF0dXJlLW9mLXRoZS1ydW50aW1lLXRva2Vu`;
const API_KEY = 'route-api-key-0123456789abcdef';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

/** What the route reports when the target answers `status` with `body`. */
async function reasonFor(status: number, body: (headersSent: string) => string): Promise<string> {
  target.respond = (req) => ({ status, body: body(JSON.stringify(req.headers)) });
  const forward = createForwardHandler(forwardOptions.parse({ url: target.url, idToken: {}, headers: { 'X-Api-Key': API_KEY } }), {
    idTokenSource: async () => ID_TOKEN,
  });
  try {
    await forward(eventarcPubSubEvent(), { log: createLogger(memorySink()), signal: new AbortController().signal, route: 'echo', params: {} });
    throw new Error('the forward succeeded');
  } catch (err) {
    return (err as Error).message;
  } finally {
    forward.close();
  }
}

test.each([500, 400, 403])('a target answering %s with our own headers echoed does not get them into the reason', async (status) => {
  const reason = await reasonFor(status, (sent) => `you sent: ${sent}`);
  expect(target.received.at(-1)!.headers.authorization).toBe(`Bearer ${ID_TOKEN}`); // it really was sent
  expect(reason).toContain(`answered ${status}`);
  expect(reason).toContain('[redacted]');
  expect(reason).not.toContain(ID_TOKEN.slice(0, 40));
  expect(reason).not.toContain(ID_TOKEN.split('.')[2]);
  expect(reason).not.toContain(API_KEY);
});

test('a token cut by the snippet edge leaves none of its characters behind', async () => {
  for (const pad of [SNIPPET_BYTES - 30, SNIPPET_BYTES - 1, SNIPPET_BYTES + 5]) {
    const reason = await reasonFor(500, () => `${'x'.repeat(pad)}${ID_TOKEN}`);
    expect(reason).not.toContain(ID_TOKEN.slice(0, 12));
  }
});

test.each([
  ['a body that is exactly a token read only in part', Buffer.from(ID_TOKEN.slice(0, 30)), ID_TOKEN.slice(0, 12)],
  ['a key echoed twice', Buffer.from(`${API_KEY}|${API_KEY}`), API_KEY],
])('%s', (_name, body, secret) => {
  const snippet = answerSnippet(body, { 'x-api-key': API_KEY, authorization: `Bearer ${ID_TOKEN}`, 'content-type': 'application/json' });
  expect(snippet).not.toContain(secret);
  expect(snippet).toContain('[redacted]');
});

test('an answer without credentials in it is kept as it was', () => {
  expect(answerSnippet(Buffer.from('upstream busy'), { authorization: `Bearer ${ID_TOKEN}` })).toBe('upstream busy');
});
