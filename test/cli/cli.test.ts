/**
 * The `eventarc-router` CLI as a user runs it (the compiled bin, in a child
 * process): routes check, routes explain, and emit of every shape A to H to the
 * running service, each logged once with the right message.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { FIXTURES } from '../support/fixtures';
import { startService, type Service } from '../support/service';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'functions', 'cli', 'main.js');
const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
const routes = path.join(dir, 'routes.yaml');
fs.writeFileSync(
  routes,
  `routes:
  - name: csv-uploads
    match: { kind: storage.object, name: { glob: "in/**/*.csv" } }
    action: log
  - name: releases
    match: { kind: registry.image, tag: { glob: "v*" } }
    action: log
`,
);

describe('routes check', () => {
  it('accepts a good file and lists its routes', async () => {
    const r = await run('routes', 'check', routes);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 route(s) OK');
    expect(r.stdout).toContain('csv-uploads: log when kind "storage.object" and name glob "in/**/*.csv"');
  });

  it('rejects a bad file naming the line', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'routes:\n  - name: x\n    action: log\n    match:\n      tagg: v1\n');
    const r = await run('routes', 'check', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:`);
  });
});

describe('routes explain', () => {
  it('says which route matches and why the others do not', async () => {
    const r = await run('routes', 'explain', routes, path.join(FIXTURES, 'requests', 'F-push-gcs-json-api-v1.json'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('MATCH  csv-uploads -> log');
    expect(r.stdout).toContain('no     releases: kind is "storage.object"');
  });

  it('accepts a bare structured CloudEvent body', async () => {
    const r = await run(
      'routes',
      'explain',
      routes,
      path.join(FIXTURES, 'real', 'google-cloudevents', 'examples', 'structured', 'storage', 'StorageObjectDataWorkflows.json'),
    );
    expect(r.stdout).toContain('no     csv-uploads: name is "MyFile"');
    expect(r.stdout).toContain('no route matches');
  });
});

describe('emit', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({ env: { ROUTES_FILE: '' } });
  });
  afterAll(async () => service?.stop());

  const storage = ['--bucket', 'b', '--name', 'in/x y.csv', '--generation', '5', '--size', '9'];
  const cases: [string, string[], string][] = [
    ['A', ['--data', 'hi', '--topic', 't1'], 'Pub/Sub message a-1 on topic t1 (2 bytes)'],
    ['B', storage, 'GCS object finalized: gs://b/in/x y.csv'],
    ['C', [...storage, '--change', 'archived'], 'GCS object archived: gs://b/in/x y.csv'],
    ['D', ['--data', 'hello', '--attr', 'k=v'], 'Pub/Sub message d-1 on subscription projects/local-project/subscriptions/local-push (5 bytes)'],
    ['E', ['--data', 'raw', '--attr', 'k=v'], 'Pub/Sub message e-1 on subscription projects/local-project/subscriptions/local-push (3 bytes)'],
    ['F', [...storage, '--change', 'deleted'], 'GCS object deleted: gs://b/in/x y.csv'],
    [
      'G',
      ['--tag', 'us-docker.pkg.dev/p/r/app:v2', '--digest', `us-docker.pkg.dev/p/r/app@sha256:${'d'.repeat(64)}`],
      `Image inserted: us-docker.pkg.dev/p/r/app:v2@sha256:${'d'.repeat(64)}`,
    ],
    ['H', storage, 'GCS object finalized: gs://b/in/x y.csv'],
  ];
  it.each(cases)('shape %s is accepted and logged once', async (shape, flags, message) => {
    const id = `${shape.toLowerCase()}-1`;
    const r = await run('emit', shape, '--url', service.url, '--id', id, ...flags);
    expect(r.stdout.trim()).toBe('204');
    expect(r.code).toBe(0);
    const logs = await service.waitForLogs((l) => l.some((e) => (e['event'] as { id?: string } | undefined)?.id === id));
    const lines = logs.filter((e) => (e['event'] as { id?: string } | undefined)?.id === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]['message']).toBe(message);
  });

  it('a fixture file is sent as recorded', async () => {
    const r = await run('emit', '--fixture', path.join(FIXTURES, 'requests', 'bad-push-base64.json'), '--url', service.url);
    expect(r.stdout).toContain('200 {"acknowledged":true');
  });
});
