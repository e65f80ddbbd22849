/** The pure parts of the forward action: request building, outcomes, redirects, PROXY_* env, ID-token cache. */
import { buildOutboundRequest, percentEncodeHeaderValue } from '../../../functions/act/forward/outbound-request';
import { classifyStatus } from '../../../functions/act/forward/outcome';
import { redirectDecision } from '../../../functions/act/forward/redirect';
import { forwardRouteFromProxyEnv as fromSettings } from '../../../functions/act/forward/proxy-env';
import { readSettings } from '../../../functions/config';
import { createIdTokenCache, jwtExpiryMs } from '../../../functions/act/forward/id-token';
import { forwardOptions } from '../../../functions/act/forward/options';
import { eventarcPubSubEvent } from '../../support/events/forward';

const forwardRouteFromProxyEnv = (env: Record<string, string>) => fromSettings(readSettings(env));

function jwtWithExp(expSeconds: number | undefined): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(expSeconds === undefined ? {} : { exp: expSeconds })}.sig`;
}

describe('outbound request', () => {
  test('route headers win over the event headers, names lower-cased', () => {
    const req = buildOutboundRequest(eventarcPubSubEvent(), 'cloudevent', { 'Content-Type': 'application/json', 'X-Team': 'a' });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-team']).toBe('a');
  });

  test('datacontenttype and data never become ce- headers', () => {
    const event = eventarcPubSubEvent({ attributes: { specversion: '1.0', id: '1', source: 's', type: 't', datacontenttype: 'text/plain', data: 'x' } });
    const req = buildOutboundRequest(event, 'cloudevent', {});
    expect(Object.keys(req.headers).sort()).toEqual(['ce-id', 'ce-source', 'ce-specversion', 'ce-type', 'content-type']);
  });

  const withHeaders = (headers: Record<string, string>) => {
    const event = eventarcPubSubEvent();
    return { ...event, delivery: { ...event.delivery, raw: { ...event.delivery.raw, headers: { ...event.delivery.raw.headers, ...headers } } } };
  };
  const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const CLOUD_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736/67667974448284343;o=1';

  test('trace headers pass through in both formats; credentials and other incoming headers do not', () => {
    const traced = withHeaders({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', 'x-cloud-trace-context': CLOUD_TRACE, cookie: 'c' });
    for (const format of ['cloudevent', 'original'] as const) {
      const req = buildOutboundRequest(traced, format, {});
      expect(req.headers.traceparent).toBe(TRACEPARENT);
      expect(req.headers.tracestate).toBe('congo=t61rcWkgMzE');
      expect(req.headers['x-cloud-trace-context']).toBe(CLOUD_TRACE);
      expect(req.headers.authorization).toBeUndefined();
      expect(req.headers.cookie).toBeUndefined();
    }
  });

  test('malformed trace headers are dropped, never relayed', () => {
    const req = buildOutboundRequest(withHeaders({ traceparent: '00-abc-def-01', tracestate: 'a=1', 'x-cloud-trace-context': 'abc/1;o=1' }), 'cloudevent', {});
    expect(Object.keys(req.headers).filter((h) => /trace/.test(h))).toEqual([]);
  });

  test('percent-encoding follows the CloudEvents HTTP binding', () => {
    expect(percentEncodeHeaderValue('a b"c%d€')).toBe('a%20b%22c%25d%E2%82%AC');
  });
});

describe('outcome', () => {
  test('2xx accepts, 5xx/429/408 retry, other 4xx and unfollowed 3xx are permanent unless listed', () => {
    expect([200, 201, 204].map((s) => classifyStatus(s, []))).toEqual(['accepted', 'accepted', 'accepted']);
    expect([500, 502, 429, 408].map((s) => classifyStatus(s, []))).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect([400, 401, 403, 404, 303].map((s) => classifyStatus(s, []))).toEqual(Array(5).fill('permanent'));
    expect(classifyStatus(423, [423])).toBe('retry');
  });
});

describe('redirects', () => {
  const here = new URL('https://a.example:8443/hook');
  test('same origin followed, relative locations resolved', () => {
    expect(redirectDecision(here, 307, '/v2')).toEqual({ follow: new URL('https://a.example:8443/v2') });
  });
  test('another host, port or scheme refused', () => {
    for (const to of ['https://b.example/hook', 'https://a.example/hook', 'http://a.example:8443/hook']) {
      expect(redirectDecision(here, 301, to)).toHaveProperty('refuse');
    }
  });
  test('303 and non-redirects are left to the status rules', () => {
    expect(redirectDecision(here, 303, '/x')).toBeUndefined();
    expect(redirectDecision(here, 200, '/x')).toBeUndefined();
  });
});

describe('PROXY_* environment (drop-in for the nginx proxy)', () => {
  test('no PROXY_HOST, no default route', () => {
    expect(forwardRouteFromProxyEnv({})).toBeUndefined();
    expect(forwardRouteFromProxyEnv({ PROXY_HOST: '  ' })).toBeUndefined();
  });
  test('protocol defaults to https and the path to /', () => {
    expect(forwardRouteFromProxyEnv({ PROXY_HOST: '10.0.0.7:8080' })).toEqual({ url: 'https://10.0.0.7:8080/' });
  });
  test('protocol and path as the nginx template takes them', () => {
    expect(forwardRouteFromProxyEnv({ PROXY_PROTOCOL: 'http', PROXY_HOST: 'gke.internal', PROXY_PATH: '/events' })).toEqual({
      url: 'http://gke.internal/events',
    });
    expect(forwardRouteFromProxyEnv({ PROXY_PROTOCOL: 'https://', PROXY_HOST: 'gke.internal', PROXY_PATH: 'in' })).toEqual({ url: 'https://gke.internal/in' });
  });
  test('the result is valid forward options', () => {
    const route = forwardRouteFromProxyEnv({ PROXY_HOST: 'gke.internal' })!;
    expect(forwardOptions.parse(route)).toMatchObject({ url: 'https://gke.internal/', format: 'cloudevent', timeoutMs: 8000 });
  });
  test('a bad protocol is refused at start-up', () => {
    expect(() => forwardRouteFromProxyEnv({ PROXY_PROTOCOL: 'ftp', PROXY_HOST: 'h' })).toThrow(/PROXY_PROTOCOL/);
  });
});

describe('options', () => {
  test('reserved headers, control characters and non-http urls are refused', () => {
    expect(forwardOptions.safeParse({ url: 'http://x', headers: { Host: 'y' } }).success).toBe(false);
    expect(forwardOptions.safeParse({ url: 'http://x', headers: { 'X-A': 'a\r\nb' } }).success).toBe(false);
    expect(forwardOptions.safeParse({ url: 'ftp://x' }).success).toBe(false);
    expect(forwardOptions.safeParse({ url: 'http://x', unknown: 1 }).success).toBe(false);
  });
});

describe('ID-token cache', () => {
  test('reuses a token until refreshBeforeMs ahead of exp, then fetches again', async () => {
    let now = 1_000_000_000_000;
    const issued: string[] = [];
    const cache = createIdTokenCache({
      now: () => now,
      refreshBeforeMs: 60_000,
      source: async () => {
        const token = jwtWithExp(now / 1000 + 3600);
        issued.push(token);
        return token;
      },
    });
    const first = await cache.get('aud');
    now += 3600_000 - 60_001;
    expect(await cache.get('aud')).toBe(first);
    now += 2;
    const second = await cache.get('aud');
    expect(issued).toHaveLength(2);
    expect(second).toBe(issued[1]);
  });

  test('concurrent callers share one fetch; audiences are cached apart', async () => {
    const calls: string[] = [];
    const cache = createIdTokenCache({
      source: async (aud) => {
        calls.push(aud);
        await new Promise((r) => setTimeout(r, 20));
        return jwtWithExp(Date.now() / 1000 + 3600);
      },
    });
    await Promise.all([cache.get('a'), cache.get('a'), cache.get('b'), cache.get('a')]);
    expect(calls.sort()).toEqual(['a', 'b']);
  });

  test('a token without exp is not kept; a failed fetch is not cached', async () => {
    let n = 0;
    const cache = createIdTokenCache({
      source: async () => {
        n++;
        if (n === 2) throw new Error('boom');
        return jwtWithExp(undefined);
      },
    });
    await cache.get('a');
    await expect(cache.get('a')).rejects.toThrow('boom');
    await cache.get('a');
    expect(n).toBe(3);
  });

  test('jwtExpiryMs reads exp, tolerates garbage', () => {
    expect(jwtExpiryMs(jwtWithExp(123))).toBe(123_000);
    expect(jwtExpiryMs('not-a-jwt')).toBeUndefined();
    expect(jwtExpiryMs('a.!!!.c')).toBeUndefined();
  });
});
