/**
 * Issue 10, "Sources a route may pull from": whoever can publish to the topic
 * names the source of an image event. replicate-image copies only from the
 * sources its route lists, and without a list only from Google registries of
 * the deployment's own project. Any other source is acknowledged with the
 * reason and logged, and never contacted. Through the real service, with a
 * real source and target registry and a recorder posing as the other host.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startService, type Service } from '../support/service';
import { waitForPrinted } from '../support/json-logs';
import { startRegistry, type Registry } from '../support/registry';
import { notification, pushBody } from '../support/events/replicate-image';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startRecorder, type Recorder } from '../support/hostile-registry';
import { pushImage, tagDigest } from '../support/synthetic-images';

const PROJECT = 'build-proj';
let dir: string;
let source: Registry;
let target: Registry;
let proxy: FaultProxy;
let attacker: Recorder;

function routesFile(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['routes:', ...lines, ''].join('\n'));
  return file;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replicate-sources-'));
  [source, target] = await Promise.all([startRegistry('sources-source'), startRegistry('sources-target')]);
  // The allowed source, behind a proxy that records every request it is sent.
  proxy = await startFaultProxy(Number(source.host.split(':')[1]));
  attacker = await startRecorder((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}'));
});

afterAll(async () => {
  await Promise.all([attacker?.stop(), proxy?.stop()]);
  await Promise.all([source?.stop(), target?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const deliver = (svc: Service, data: Record<string, string>, id: string) =>
  fetch(svc.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushBody(data, id) });

/** The service with one route, in the deployment's project. */
async function serviceWith(name: string, route: string[]): Promise<Service> {
  return startService({ routesFile: routesFile(name, route), env: { GOOGLE_CLOUD_PROJECT: PROJECT } });
}

test('a route without sources refuses another host: acknowledged with the reason, logged, and the host sees no request', async () => {
  // As the README's `releases` example: no host in the match, no sources.
  const service = await serviceWith('releases.yaml', [
    '  - name: releases',
    '    match: { kind: registry.image, repository: releases }',
    '    action: replicate-image',
    '    timeoutSeconds: 30',
    '    with:',
    `      targets: ["${target.host}/prod/releases"]`,
    '      deleteTags: true',
  ]);
  try {
    const insert = await deliver(
      service,
      notification('INSERT', attacker.host, `${PROJECT}/releases/api`, { tag: 'v1', digest: `sha256:${'1'.repeat(64)}` }),
      's-1',
    );
    const remove = await deliver(service, notification('DELETE', attacker.host, `${PROJECT}/releases/api`, { tag: 'v1' }), 's-2');
    expect(attacker.seen).toEqual([]);
    for (const res of [insert, remove]) {
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`source ${attacker.host}/${PROJECT}/releases/api is not a Google registry of project ${PROJECT}`);
    }
    const logs = await service.waitForLogs((l) => l.filter((e) => String(e.message).includes('is not a Google registry of project')).length >= 2);
    expect(logs.filter((e) => e.severity === 'ERROR' && /rejected event s-[12] .*is not a Google registry/.test(String(e.message)))).toHaveLength(2);
    expect(attacker.seen).toEqual([]);
  } finally {
    await service.stop();
  }
});

test("a source in the route's sources is copied; another path on the same host is refused without a request", async () => {
  const service = await serviceWith('partner.yaml', [
    '  - name: partner-builds',
    '    match: { kind: registry.image, repository: images }',
    '    action: replicate-image',
    '    timeoutSeconds: 30',
    '    with:',
    `      targets: ["${target.host}/prod/images"]`,
    `      sources: ["${proxy.host}/build/images"]`,
  ]);
  try {
    const image = await pushImage(source.url, 'build/images/api', { seed: 'sources-allowed', layerSizes: [4096] }, 'v1');
    const other = await pushImage(source.url, 'other/images/api', { seed: 'sources-other', layerSizes: [4096] }, 'v1');
    const allowed = await deliver(service, notification('INSERT', proxy.host, 'build/images/api', { tag: 'v1', digest: image.digest }), 's-3');
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain(`to ${target.host}/prod/images/api:v1`);
    expect(await tagDigest(target.url, 'prod/images/api', 'v1')).toBe(image.digest);

    const before = proxy.requests.length;
    const refused = await deliver(service, notification('INSERT', proxy.host, 'other/images/api', { tag: 'v1', digest: other.digest }), 's-4');
    expect(refused.status).toBe(200);
    expect(await refused.text()).toContain(`source ${proxy.host}/other/images/api is not in this route's sources`);
    expect(proxy.requests.slice(before)).toEqual([]);
  } finally {
    await service.stop();
  }
});

test('without sources and without a project, the service warns at start-up naming the setting, and copies nothing', async () => {
  const file = routesFile('no-project.yaml', [
    '  - name: releases',
    '    match: { kind: registry.image }',
    '    action: replicate-image',
    '    with:',
    `      targets: ["${target.host}/prod/releases"]`,
  ]);
  const unknown = await startService({ routesFile: file, env: { GOOGLE_CLOUD_PROJECT: '', GCLOUD_PROJECT: '', GCP_PROJECT: '' } });
  try {
    // Read every line the service printed since it started (start-up lines come before the collector's).
    const mentionsProject = (e: Record<string, unknown>) => String(e['message']).includes('GOOGLE_CLOUD_PROJECT');
    const printed = await waitForPrinted(unknown.peer, (lines) => lines.some(mentionsProject));
    const warning = printed.find(mentionsProject);
    expect(warning).toMatchObject({ severity: 'WARNING', message: expect.stringContaining('sources') });
    // Even a Google host is refused: whose project it is cannot be told (and nothing is resolved or fetched).
    const res = await deliver(
      unknown,
      notification('INSERT', 'us-docker.pkg.dev', 'some-proj/releases/api', { tag: 'v1', digest: `sha256:${'2'.repeat(64)}` }),
      's-5',
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('GOOGLE_CLOUD_PROJECT');
    const res2 = await deliver(unknown, notification('INSERT', attacker.host, 'p/releases/api', { tag: 'v1', digest: `sha256:${'3'.repeat(64)}` }), 's-6');
    expect(res2.status).toBe(200);
    expect(attacker.seen).toEqual([]);
  } finally {
    await unknown.stop();
  }
});
