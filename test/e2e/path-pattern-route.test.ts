/**
 * A route on a path pattern, end to end through both servers (functions-framework and lean):
 * a Storage object event as Eventarc delivers it is taken by the route whose pattern its name
 * fits, and the `log` line carries what the pattern captured; a name that does not fit is
 * acknowledged as unmatched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startService, type ServerKind, type Service } from '../support/service';

const ROUTES = [
  'routes:',
  '  - name: releases',
  '    match: { kind: storage.object, bucket: artifacts, name: { pathPattern: "releases/{version}/{file=**}" } }',
  '    action: log',
  '    with: { severity: NOTICE }',
  '',
].join('\n');

describe.each<ServerKind>(['framework', 'lean'])('a path-pattern route on the %s server', (server) => {
  let service: Service;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'path-pattern-e2e-'));
    const routesFile = path.join(dir, 'routes.yaml');
    fs.writeFileSync(routesFile, ROUTES);
    service = await startService({ server, routesFile });
  });
  afterAll(async () => {
    await service?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const finalized = (id: string, name: string) =>
    fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-source': '//storage.googleapis.com/projects/_/buckets/artifacts',
        'ce-subject': `objects/${name}`,
        'ce-time': '2026-12-01T12:00:00Z',
      },
      body: JSON.stringify({ bucket: 'artifacts', name, size: '42', contentType: 'application/gzip' }),
      signal: AbortSignal.timeout(5000),
    });

  it('logs the event with the captured parameters', async () => {
    const res = await finalized(`${server}-match`, 'releases/v2.1.0/linux/amd64/app.tar.gz');
    expect(res.status).toBe(204);
    const logs = await service.waitForLogs((l) => l.some((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-match`));
    const line = logs.find((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-match`)!;
    expect(line['severity']).toBe('NOTICE');
    expect(line['params']).toEqual({ version: 'v2.1.0', file: 'linux/amd64/app.tar.gz' });
  });

  it('acknowledges a name outside the pattern as unmatched', async () => {
    const res = await finalized(`${server}-miss`, 'drafts/v2.1.0/app.tar.gz');
    expect(res.status).toBe(204);
    const logs = await service.waitForLogs((l) =>
      l.some((e) => String(e['message']).startsWith('no route matched') && JSON.stringify(e).includes(`${server}-miss`)),
    );
    expect(logs.some((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-miss`)).toBe(false);
  });
});
