/**
 * The package as a user gets it: `npm pack` of this repository, installed from the
 * tarball into a fresh project (offline, from the npm cache: test/support/packed-package.ts),
 * the user's own entry module and test (test/e2e/consumer/) compiled with `tsc --strict`
 * against the package's declarations, the test run with eventarc-router/testing, and
 * the function served by Functions Framework under the user's own name, over HTTP.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { deliveries, type DeliveryRequest } from '../../functions/testing';
import { installOffline, lockedRanges, packRepository, writeOfflineProject, type Packed } from '../support/packed-package';
import { freePort, startPeer, type Peer } from '../support/peer';
import { waitForPrinted } from '../support/json-logs';

const run = promisify(execFile);
const CONSUMER = path.join(__dirname, 'consumer');
/**
 * The user's package.json besides the package: functions-framework (their entry imports it),
 * typescript and @types/node (to compile their code), at the versions this repository locks.
 */
const USER_PROJECT = {
  name: 'releases-function',
  main: 'dist/index.js',
  dependencies: lockedRanges(['@google-cloud/functions-framework']),
  devDependencies: lockedRanges(['typescript', '@types/node']),
};

/** tsc's exit code, its diagnostics' first lines, and all it printed. */
async function tsc(dir: string, project: string): Promise<{ code: number; lines: string[]; text: string }> {
  try {
    const { stdout } = await run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--pretty', 'false'], {
      cwd: dir,
    });
    return { code: 0, lines: stdout.split('\n').filter(Boolean), text: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, lines: e.stdout.split('\n').filter((l) => /^\S.*error TS/.test(l)), text: e.stdout };
  }
}

describe('the npm package, installed into a fresh project', () => {
  let dir: string;
  let packed: Packed;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventarc-router-consumer-'));
    packed = await packRepository();
    fs.cpSync(CONSUMER, dir, { recursive: true });
    writeOfflineProject(dir, packed, USER_PROJECT);
    await installOffline(dir, { ignoreScripts: true });
  }, 240_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ships only what runs: the bundled entries and bin, their declarations, package.json and the README', () => {
    const other = packed.files.filter((f) => !/^dist\/(package\/(cli\/)?[a-z-]+\.js|types\/.+\.d\.ts)$/.test(f));
    // npm always packs `main` (the service loader, for deploying this repository): nothing else.
    expect(other).toEqual(['README.md', 'dist/service/router.js', 'package.json']);
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'dist/package/index.js',
        'dist/package/testing.js',
        'dist/package/cli.js',
        'dist/package/cli/copy-image.js',
        'dist/types/library.d.ts',
        'dist/types/testing/index.d.ts',
      ]),
    );
    expect(packed.size).toBeLessThan(450_000);
    process.stdout.write(`npm pack: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked\n`);
  });

  it("compiles the user's code with tsc --strict against the package's types, refusing the mistakes in wrong.ts", async () => {
    const { code, lines, text } = await tsc(dir, 'tsconfig.json');
    expect(code).toBe(2);
    expect(lines.filter((l) => !l.startsWith('src/wrong.ts('))).toEqual([]);
    expect(lines.map((l) => l.replace(/^src\/wrong\.ts\((\d+),\d+\): error (TS\d+): .*/, '$1 $2'))).toEqual(['4 TS2769', '5 TS2339', '6 TS2339']);
    expect(text).toContain('`tag` is not a field of storage.object events');
    expect(lines[1]).toContain("Property 'userId' does not exist on type '{ readonly uid: string; }");
    expect(lines[2]).toContain("Property 'image' does not exist on type 'StorageObjectEvent'");
    expect(fs.existsSync(path.join(dir, 'dist', 'index.js'))).toBe(true);
    // Older module resolution (no `exports`): the testing entry's types come from typesVersions.
    expect(await tsc(dir, 'tsconfig.node10.json')).toMatchObject({ code: 0, lines: [] });
  }, 120_000);

  it('installs the eventarc-router command: each subcommand loads from its own bundle', async () => {
    const bin = path.join(dir, 'node_modules', '.bin', 'eventarc-router');
    const env = { PATH: process.env['PATH'] ?? '' };
    for (const command of ['copy-image', 'sync-images', 'emit']) {
      const { stdout, stderr } = await run(bin, [command, '--help'], { cwd: dir, env });
      expect(`${stdout}${stderr}`).toContain(`usage: eventarc-router ${command}`);
    }
    const routes = path.join(dir, 'routes.yaml');
    fs.writeFileSync(routes, 'routes:\n  - name: all\n    match: {}\n    action: log\n');
    const { stdout } = await run(bin, ['routes', 'check', routes], { cwd: dir, env });
    expect(stdout).toContain('1 route(s) OK');
  });

  it("runs the user's test in process with eventarc-router/testing", async () => {
    const { stdout } = await run(process.execPath, [path.join(dir, 'dist', 'check.js')], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' } });
    expect(JSON.parse(stdout)).toEqual({
      release: {
        outcome: 'handled',
        status: 200,
        acknowledged: true,
        routes: [{ route: 'release', status: 'done', durationMs: expect.any(Number), result: { summary: 'release 1.2.0: app.tgz (42 bytes)' } }],
        logs: ['releasing 1.2.0', 'route release: handled'],
      },
      empty: {
        outcome: 'rejected',
        status: 200,
        acknowledged: true,
        routes: [{ route: 'release', status: 'permanent', reason: 'v/1.2.0/empty.tgz is empty', durationMs: expect.any(Number) }],
        reason: 'route release: v/1.2.0/empty.tgz is empty',
        logs: [
          expect.stringMatching(/^rejected event \S+ \(acknowledged, will not be retried\): route release: v\/1\.2\.0\/empty\.tgz is empty$/),
          'route release: rejected',
        ],
      },
      other: { outcome: 'unmatched', status: 204, acknowledged: true, routes: [], logs: [expect.stringMatching(/^no route matched pubsub.message event /)] },
    });
  }, 60_000);

  describe('served by Functions Framework under the name the user gave it', () => {
    let framework: Peer;
    let url: string;
    beforeAll(async () => {
      const port = await freePort();
      const cli = path.join(dir, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
      framework = await startPeer('functions-framework', process.execPath, [cli, '--target=releases', '--signature-type=http', `--port=${port}`], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '' },
        readyPort: port,
        readyTimeoutMs: 20_000,
      });
      url = `http://127.0.0.1:${port}`;
    }, 30_000);
    afterAll(() => framework?.stop());

    const post = async (d: DeliveryRequest) => {
      const res = await fetch(new URL(d.path, url), { method: d.method, headers: d.headers, body: d.body });
      return { status: res.status, body: await res.text() };
    };

    it('answers a delivery through the route, and a broken body is ours to read (acknowledged and preserved, not the framework 400)', async () => {
      const release = await post(deliveries.storageObject({ bucket: 'releases', name: 'v/2.0.0/app.tgz', size: 7 }));
      expect(release.status).toBe(200);
      expect(JSON.parse(release.body)).toEqual({
        acknowledged: true,
        handled: true,
        results: [{ route: 'release', summary: 'release 2.0.0: app.tgz (7 bytes)' }],
      });
      const broken = deliveries.request({
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'b1',
          'ce-type': 'google.cloud.storage.object.v1.finalized',
          'ce-source': '//storage.googleapis.com/projects/_/buckets/releases',
        },
        body: '{"bucket": "releases", "name": ',
      });
      const answer = await post(broken);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ acknowledged: true, handled: false });
      const lines = await waitForPrinted(framework, (printed) => printed.some((l) => l['message'] === 'releasing 2.0.0'));
      expect(lines.map((l) => l['message'])).toEqual(expect.arrayContaining(['eventarc-router: 1 route(s)', 'releasing 2.0.0']));
    });
  });
});
