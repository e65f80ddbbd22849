/**
 * Path-pattern filters as a user declares them, in a routes file and with `router.on()`:
 * what loads, what is refused (with its line), the parameters a handler and the `log`
 * line receive, and what `routes explain` says about the segment that failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { HandlerContext } from '../../functions/act/action';
import { builtInActions } from '../../functions/act/catalog';
import { routesExplain } from '../../functions/cli/routes';
import type { RawRequest } from '../../functions/receive/raw-request';
import { parseDelivery } from '../../functions/parse/delivery';
import { dispatch } from '../../functions/route/dispatch';
import { Router } from '../../functions/route/router';
import { buildRoutes, parseRoutesFile, RoutesFileError } from '../../functions/route/routes-file';
import { createLogger, memorySink } from '../../functions/support/logger';

/** A Storage object event as Eventarc delivers it (binary mode). */
function storageEvent(name: string): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': `id-${name.length}`,
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-source': '//storage.googleapis.com/projects/_/buckets/artifacts',
      'ce-subject': `objects/${name}`,
    },
    body: Buffer.from(JSON.stringify({ bucket: 'artifacts', name, contentType: 'application/gzip' })),
  };
}

/** A custom producer's CloudEvent: its subject is a path. */
function orderEvent(subject: string): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'order-1',
      'ce-type': 'com.example.order.v1.created',
      'ce-source': 'shop.example.com/orders',
      'ce-subject': subject,
    },
    body: Buffer.from('{}'),
  };
}

const parse = (text: string) => parseRoutesFile(text, 'routes.yaml', builtInActions);
function problem(text: string): RoutesFileError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(RoutesFileError);
    return err as RoutesFileError;
  }
  throw new Error('expected the routes file to be rejected');
}

describe('in a routes file', () => {
  const RELEASES = `
routes:
  - name: releases
    match: { kind: storage.object, name: { pathPattern: "releases/{version}/{file=**}" } }
    action: log
  - name: csv
    match: { name: { glob: "releases/**/*.csv" } }
    action: log
`;

  it('loads next to globs, and says what it is', () => {
    const entries = parse(RELEASES);
    expect(entries.map((e) => e.route.filter.describe())).toEqual([
      'kind "storage.object" and name path pattern "releases/{version}/{file=**}"',
      'name glob "releases/**/*.csv"',
    ]);
  });

  it('matches by segments and captures; the glob beside it keeps its meaning', () => {
    const [releases, csv] = parse(RELEASES).map((e) => e.route.filter);
    const tarball = parseDelivery(storageEvent('releases/v2.1.0/linux/amd64/app.tar.gz'));
    expect(releases.test(tarball)).toEqual({ matched: true, params: { version: 'v2.1.0', file: 'linux/amd64/app.tar.gz' } });
    expect(csv.test(tarball).matched).toBe(false);
    const sheet = parseDelivery(storageEvent('releases/v2/notes.csv'));
    expect(releases.test(sheet).params).toEqual({ version: 'v2', file: 'notes.csv' });
    expect(csv.test(sheet)).toEqual({ matched: true });
    expect(releases.test(parseDelivery(storageEvent('drafts/v2/notes.csv')))).toEqual({
      matched: false,
      why: 'name is "drafts/v2/notes.csv", want path pattern "releases/{version}/{file=**}": segment 1 is "drafts", want "releases"',
    });
  });

  const bad: [string, string, number, string][] = [
    [
      'a plain string that reads like a pattern',
      'routes:\n  - action: log\n    match:\n      name: "users/{uid}"\n',
      4,
      'routes[0].match: "users/{uid}" reads like a path pattern, but a plain string is an exact value: write { pathPattern: "users/{uid}" } (or { exact: ... } for the literal string)',
    ],
    [
      'a bad parameter name',
      'routes:\n  - action: log\n    match: { name: { pathPattern: "a/{1st}" } }\n',
      3,
      'path pattern "a/{1st}": segment 2: "1st" is not a parameter name',
    ],
    ['two multi-segment parts', 'routes:\n  - action: log\n    match: { name: { pathPattern: "**/x/**" } }\n', 3, 'only one "**" or "{name=**}" per pattern'],
    [
      'one name captured by two conditions',
      'routes:\n  - action: log\n    match:\n      name: { pathPattern: "u/{id}" }\n      subject: { pathPattern: "objects/u/{id}" }\n',
      4,
      'the path parameter "id" is captured by two conditions of one route',
    ],
    ['an empty pattern', 'routes:\n  - action: log\n    match: { name: { pathPattern: "" } }\n', 3, 'routes[0].match.name'],
  ];
  it.each(bad)('refuses %s, with its line', (_t, text, line, words) => {
    const err = problem(text);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(/^routes\.yaml:\d+:\d+: /);
    expect(err.message).toContain(words);
  });

  it('an exact value with braces is still possible, with exact:', () => {
    const [entry] = parse('routes:\n  - action: log\n    match: { name: { exact: "users/{uid}" } }\n');
    expect(entry.route.filter.test(parseDelivery(storageEvent('users/{uid}'))).matched).toBe(true);
    expect(entry.route.filter.test(parseDelivery(storageEvent('users/alice'))).matched).toBe(false);
  });
});

describe('what handlers receive', () => {
  it('ctx.params carries the captured names; a route without patterns gets an empty object', async () => {
    const params: Record<string, HandlerContext['params']> = {};
    const router = new Router(5000)
      .on({ subject: { pathPattern: 'users/{uid}/orders/{orderId}' } }, (_e, ctx) => void (params[ctx.route] = ctx.params), { name: 'orders' })
      .on({ type: { prefix: 'com.example.' } }, (_e, ctx) => void (params[ctx.route] = ctx.params), { name: 'all-shop' });
    const event = parseDelivery(orderEvent('users/alice/orders/o-17'));
    const outcomes = await dispatch(event, router.matching(event), createLogger(memorySink()));
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    expect(params).toEqual({ orders: { uid: 'alice', orderId: 'o-17' }, 'all-shop': {} });
    // The router's table is configuration: matching left no parameters on it.
    expect(router.routes().map((r) => r.params)).toEqual([undefined, undefined]);
    expect(router.matching(parseDelivery(orderEvent('users/alice/carts/c1'))).map((r) => r.name)).toEqual(['all-shop']);
  });

  it('all: merges the captures of several fields; any: the branch that matched; not: none', () => {
    const router = new Router(5000)
      .on({ all: [{ subject: { pathPattern: 'users/{uid}/**' } }, { source: { pathPattern: '{host}/orders' } }] }, () => undefined, { name: 'all' })
      .on({ any: [{ subject: { pathPattern: 'people/{person}' } }, { subject: { pathPattern: 'users/{user}/{rest=**}' } }] }, () => undefined, { name: 'any' })
      .on({ not: { subject: { pathPattern: 'people/{person}' } } }, () => undefined, { name: 'not' });
    const routes = router.matching(parseDelivery(orderEvent('users/alice/orders/o-17')));
    expect(Object.fromEntries(routes.map((r) => [r.name, r.params]))).toEqual({
      all: { uid: 'alice', host: 'shop.example.com' },
      any: { user: 'alice', rest: 'orders/o-17' },
      not: undefined,
    });
  });

  it('a Pub/Sub message attribute can be matched by a path pattern too', () => {
    const push: RawRequest = {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({
          message: { data: '', messageId: 'm-1', attributes: { objectId: 'uploads/alice/2026/report.csv' } },
          subscription: 'projects/p/subscriptions/s',
        }),
      ),
    };
    const router = new Router(5000).on({ attributes: { objectId: { pathPattern: 'uploads/{user}/{path=**}' } } }, () => undefined, { name: 'uploads' });
    expect(router.matching(parseDelivery(push)).map((r) => [r.name, r.params])).toEqual([['uploads', { user: 'alice', path: '2026/report.csv' }]]);
  });

  it('the log action puts the parameters in its line', async () => {
    const [entry] = parse('routes:\n  - name: orders\n    match: { subject: { pathPattern: "users/{uid}/orders/{orderId}" } }\n    action: log\n');
    const sink = memorySink();
    const routes = buildRoutes([entry], { log: createLogger(sink), variables: {} });
    const router = new Router(5000).add(routes[0]);
    const event = parseDelivery(orderEvent('users/alice/orders/o-17'));
    await dispatch(event, router.matching(event), createLogger(sink));
    const [line] = sink.entries();
    expect(line).toMatchObject({ params: { uid: 'alice', orderId: 'o-17' } });
    expect(line['event']).toMatchObject({ id: 'order-1', type: 'com.example.order.v1.created' });
  });
});

describe('routes explain', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'path-pattern-explain-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the segment that failed, and shows what a matching route captured', () => {
    const routes = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      routes,
      [
        'routes:',
        '  - name: orders',
        '    match: { subject: { pathPattern: "users/{uid}/orders/{orderId}" } }',
        '    action: log',
        '  - name: any-user',
        '    match: { subject: { pathPattern: "users/{uid}/{rest=**}" } }',
        '    action: log',
        '',
      ].join('\n'),
    );
    const eventFile = path.join(dir, 'event.json');
    const raw = orderEvent('users/alice/carts/c1');
    fs.writeFileSync(eventFile, JSON.stringify({ request: { method: 'POST', path: '/', headers: raw.headers, body: raw.body.toString() } }));
    const out: string[] = [];
    expect(routesExplain(routes, eventFile, { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) })).toBe(0);
    expect(out).toEqual([
      'event: cloudevent order-1 (com.example.order.v1.created) via cloudevent-binary',
      '  no     orders: subject is "users/alice/carts/c1", want path pattern "users/{uid}/orders/{orderId}": segment 3 is "carts", want "orders"',
      '  MATCH  any-user -> log  params {"uid":"alice","rest":"carts/c1"}',
      '1 route(s) would run',
    ]);
  });
});
