/**
 * Issue 10, class 1: the runtime's Google access token goes only to Google's
 * registry hosts. A reference is parsed strictly, and the host credentials are
 * chosen for is the host the request goes to: fast-check over the reference
 * grammar with URL-confusable characters, then end to end through the real
 * service, where a loopback TLS server posing as the attacker's host counts
 * what it receives when an Artifact Registry notification names it.
 */
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseImageReference } from '../../functions/parse/payloads/image-reference';
import { formatImageRef, isGoogleRegistryHost, parseImageRef, registryBaseUrl } from '../../functions/registry/reference';
import { startService, type Service } from '../support/service';
import { startRegistry, type Registry } from '../support/registry';
import { notification, pushBody } from '../support/events/replicate-image';
import { makeCertificate, startRecorder, type Certificate, type Recorder } from '../support/hostile-registry';

/** The hosts Google serves registries on, as the request URL (not the reference text) names them. */
const GOOGLE_URL_HOST = /^(?:(?:us|eu|asia)\.)?gcr\.io$|^[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev$/;

function parsed(text: string) {
  try {
    return parseImageRef(text);
  } catch {
    return undefined;
  }
}

/** What the copier would connect to for this reference. */
function requestedUrl(host: string): URL {
  return new URL(registryBaseUrl(host, false));
}

const hostPiece = fc.constantFrom(
  'localhost',
  '127.0.0.1',
  'gcr.io',
  'us.gcr.io',
  'eu.gcr.io',
  'us-docker.pkg.dev',
  'europe-west1-docker.pkg.dev',
  '-docker.pkg.dev',
  '.gcr.io',
  'pkg.dev',
  'evil.example',
  'EVIL.Example',
  'GCR.IO',
  'Us-Docker.Pkg.Dev',
  '#',
  '?',
  '\\',
  '@',
  '%',
  '%2e',
  '%23',
  '/',
  ':',
  ':5000',
  ':1',
  ':443',
  '[::1]',
  '[',
  ']',
  '.',
  '..',
  ' ',
  '\t',
  '\n',
  '\u0000',
  'é',
  '\u3002',
  '\uff0e',
  '\u200b',
  'xn--',
  '0x7f',
  '2130706433',
  '-',
  '_',
  'a',
  '0',
);
const pathPiece = fc.constantFrom('p', 'proj', 'r', 'img', 'a.b', 'a__b', 'a-b', '/', '..', '.', 'A', '%2f', '#', '?', '\\', '@', ':', ' ', 'é');
const tail = fc.constantFrom(
  '',
  ':v1',
  ':latest',
  ':V1.0_x',
  ':',
  ':#',
  `@sha256:${'a'.repeat(64)}`,
  `@sha256:${'A'.repeat(64)}`,
  `@sha512:${'b'.repeat(128)}`,
  '@sha256:abc',
  '?x',
  '#f',
);
const reference = fc
  .tuple(fc.array(hostPiece, { minLength: 1, maxLength: 6 }), fc.array(pathPiece, { minLength: 1, maxLength: 6 }), tail)
  .map(([host, p, t]) => `${host.join('')}/${p.join('')}${t}`);

test('every reference the parser accepts names exactly the host its URL goes to, and only Google hosts count as Google', () => {
  fc.assert(
    fc.property(reference, (text) => {
      const ref = parsed(text);
      if (!ref) return;
      const url = requestedUrl(ref.host);
      // The URL's authority is the parsed host, nothing else: no userinfo, path, query or fragment slipped in.
      expect(url.username + url.password + url.search + url.hash).toBe('');
      expect(url.pathname).toBe('/');
      expect([url.host, `${url.host}:${url.protocol === 'https:' ? 443 : 80}`]).toContain(ref.host);
      // The runtime's token goes to a host only when the URL really is Google's, and over TLS.
      if (isGoogleRegistryHost(ref.host)) {
        expect(url.protocol).toBe('https:');
        expect(url.hostname).toMatch(GOOGLE_URL_HOST);
      }
      // The reference as text reads back the same: one meaning for what is routed, logged and fetched.
      expect(parseImageRef(formatImageRef(ref))).toEqual(ref);
    }),
    { numRuns: 20_000, seed: 10 },
  );
});

test('URL-confusable references are refused, by the payload parser as by the client', () => {
  const hostile = [
    'localhost#-docker.pkg.dev/p/r/img:v1',
    'evil.example?.gcr.io/p/img:v1',
    'evil.example\\.gcr.io/p/img:v1',
    'evil.example%2f.gcr.io/p/img:v1',
    'evil.example%23-docker.pkg.dev/p/r/img:v1',
    'evil.example:1#-docker.pkg.dev:1/p/r/img:v1',
    ' gcr.io/p/img:v1',
    'gcr.io /p/img:v1',
    'gcr.io/p/img:v1 ',
    'gcr..io/p/img:v1',
    '.gcr.io/p/img:v1',
    'gcr.io:0/p/img:v1',
    'gcr.io:99999/p/img:v1',
    'gcr\u3002io/p/img:v1',
    'gcr.io\u200b/p/img:v1',
    'ｇcr.io/p/img:v1',
    '[::1%25lo]:5000/p/r/img:v1',
    '0x7f.0.0.1:5000/p/r/img:v1',
    '2130706433:5000/p/r/img:v1',
    'gcr.io/p/../img:v1',
    'gcr.io/p//img:v1',
    'gcr.io/p/img:v1#frag',
  ];
  for (const text of hostile) {
    expect({ text, parsed: parsed(text) }).toEqual({ text, parsed: undefined });
    expect(() => parseImageReference(text, 'registry-notification', 'message.data.tag')).toThrow();
  }
});

test('host names compare case-insensitively and without a trailing dot; Google is an exact host set', () => {
  expect(parseImageRef('GCR.IO./proj/img:v1').host).toBe('gcr.io');
  expect(parseImageRef('Us-Docker.Pkg.Dev/proj/repo/img:v1').host).toBe('us-docker.pkg.dev');
  expect(parseImageRef('[0:0::1]:5000/proj/img:v1').host).toBe('[::1]:5000');
  expect(parseImageReference('EU.GCR.IO./proj/img:v1', 'registry-notification', 'message.data.tag')).toMatchObject({
    host: 'eu.gcr.io',
    project: 'proj',
    image: 'img',
  });
  for (const host of ['gcr.io', 'us.gcr.io', 'eu.gcr.io', 'asia.gcr.io', 'us-docker.pkg.dev', 'europe-west1-docker.pkg.dev'])
    expect(isGoogleRegistryHost(host)).toBe(true);
  for (const host of [
    'evil.gcr.io',
    'gcr.io:443',
    'evil-docker.pkg.dev.example',
    'docker.pkg.dev',
    '-docker.pkg.dev',
    'a.b-docker.pkg.dev',
    'gcr.io.example',
  ]) {
    expect({ host, google: isGoogleRegistryHost(host) }).toEqual({ host, google: false });
  }
});

describe('an Artifact Registry notification naming a confusable host, through the service', () => {
  const ADC_TOKEN = 'ya29.adc-token-of-the-runtime-service-account';
  let dir: string;
  let cert: Certificate;
  let attacker: Recorder;
  let metadata: Recorder;
  let target: Registry;
  let service: Service;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-reference-'));
    cert = makeCertificate(['127.0.0.1']);
    // The attacker's host has a certificate the runtime trusts (a real one, for a real domain): TLS stops nothing here.
    attacker = await startRecorder(
      (_req, res) =>
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}'),
      { tls: cert },
    );
    // The GCE metadata server, as google-auth-library asks it for the runtime's access token.
    metadata = await startRecorder((req, res) => {
      const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/json' };
      if ((req.url ?? '').startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) {
        res.writeHead(200, headers).end(JSON.stringify({ access_token: ADC_TOKEN, expires_in: 3600, token_type: 'Bearer' }));
      } else res.writeHead(404, headers).end('{}');
    });
    target = await startRegistry('reference-target');
    const routesFile = path.join(dir, 'routes.yaml');
    // The README's `releases` route as it was: no host filter.
    fs.writeFileSync(
      routesFile,
      [
        'routes:',
        '  - name: releases',
        '    match: { kind: registry.image, change: inserted }',
        '    action: replicate-image',
        '    with:',
        `      targets: ["${target.host}/prod/images"]`,
        '',
      ].join('\n'),
    );
    fs.mkdirSync(path.join(dir, 'gcloud'));
    service = await startService({
      routesFile,
      env: {
        GOOGLE_CLOUD_PROJECT: 'p',
        METADATA_SERVER_DETECTION: 'assume-present',
        GCE_METADATA_HOST: metadata.host,
        GOOGLE_APPLICATION_CREDENTIALS: '',
        CLOUDSDK_CONFIG: path.join(dir, 'gcloud'),
        NODE_EXTRA_CA_CERTS: cert.certFile,
      },
    });
  });

  afterAll(async () => {
    await service?.stop();
    await Promise.all([attacker?.stop(), metadata?.stop(), target?.stop()]);
    cert?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('is acknowledged with the reason, and the attacker receives no request and no token', async () => {
    // Each host ends in a Google suffix as a string, while a URL parser connects to the attacker.
    const hosts = [`${attacker.host}#-docker.pkg.dev:1`, `${attacker.host}?.gcr.io:1`, `${attacker.host}\\.gcr.io:1`, `${attacker.host}#.gcr.io:1`];
    const answers: { host: string; status: number; text: string }[] = [];
    for (const [i, host] of hosts.entries()) {
      const body = pushBody(notification('INSERT', host, 'p/r/img', { tag: 'v1' }), `confusable-${i}`);
      const res = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      answers.push({ host, status: res.status, text: await res.text() });
    }
    // First what matters most: the token never left, and the attacker was never contacted.
    expect(attacker.seen.filter((s) => s.authorization !== undefined).map((s) => s.authorization)).toEqual([]);
    expect(attacker.seen).toEqual([]);
    expect(JSON.stringify(service.logs())).not.toContain(ADC_TOKEN);
    // Acknowledged (never redelivered), saying why, and logged.
    for (const a of answers) {
      expect({ host: a.host, status: a.status }).toEqual({ host: a.host, status: 200 });
      expect(a.text).toMatch(/registry host|image reference/);
    }
    const logs = await service.waitForLogs((l) => l.filter((e) => /rejected/.test(String(e.message))).length >= hosts.length);
    expect(logs.filter((e) => /rejected/.test(String(e.message)) && /registry host|image reference/.test(String(e.message)))).toHaveLength(hosts.length);
  });
});
