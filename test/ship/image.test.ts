/**
 * The container image and the CI path, checked without a Docker engine or Google Cloud:
 * - the Dockerfile's stages, base images, user, entry point and what the runtime stage copies;
 * - .dockerignore keeps dependencies, tests and .git out of the build context;
 * - the build stage's own COPY set compiles; the runtime stage's RUN makes the code cache with the image's
 *   environment alone, and its files started with its ENTRYPOINT (the lean server) and with Functions
 *   Framework (no $HOME, no other environment than the image's) answer on $PORT, writing nothing; the
 *   framework uses that cache;
 * - cloudbuild.yaml tests, builds, pushes and deploys the same image, in that order.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import picomatch from 'picomatch';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

interface Instruction {
  cmd: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (cur === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((cur + line).trim());
    cur = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${l}`);
    const ins = { cmd: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') };
    if (ins.cmd === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!f) throw new Error(`cannot parse FROM ${ins.args}`);
      stages.push({ from: f[1], name: f[2], body: [] });
    } else if (stages.length === 0) {
      args.push(ins);
    } else {
      stages[stages.length - 1].body.push(ins);
    }
  }
  return { args, stages };
}

const docker = parseDockerfile(read('Dockerfile'));
const buildStage = docker.stages[0];
const runtime = docker.stages[docker.stages.length - 1];
const all = (s: Stage, cmd: string) => s.body.filter((i) => i.cmd === cmd);
const last = (s: Stage, cmd: string) => all(s, cmd).pop();
/** Resolve ${ARG} defaults declared before the first FROM. */
function expandArgs(s: string): string {
  return s.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
    const a = docker.args.find((i) => i.cmd === 'ARG' && i.args.startsWith(`${name}=`));
    return a ? a.args.slice(name.length + 1) : `\${${name}}`;
  });
}
interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}
function copies(s: Stage): Copy[] {
  return all(s, 'COPY').map((c) => {
    const words = c.args.split(' ');
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const rest = words.filter((w) => !w.startsWith('--'));
    return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1] };
  });
}
const entrypoint = (): string[] => JSON.parse(last(runtime, 'ENTRYPOINT')!.args) as string[];
const workdir = (s: Stage) => last(s, 'WORKDIR')!.args;

describe('Dockerfile', () => {
  test('builds on the full Node.js 20 image and runs on distroless Node.js 20 :nonroot', () => {
    expect(docker.stages.length).toBeGreaterThanOrEqual(2);
    expect(expandArgs(buildStage.from)).toMatch(/^node:20(-bookworm|-bullseye)?$/);
    expect(buildStage.name).toBeTruthy();
    expect(runtime.from).toBe('gcr.io/distroless/nodejs20-debian12:nonroot');
  });

  test('the build stage installs from the lockfile, compiles, then drops dev dependencies', () => {
    const runs = all(buildStage, 'RUN')
      .map((r) => r.args)
      .join(' && ');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((s) => runs.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // package-lock.json is copied before `npm ci`, so the install layer is cached and reproducible.
    const first = copies(buildStage)[0];
    expect(first.sources).toEqual(['package.json', 'package-lock.json']);
  });

  test('the runtime stage runs as the non-root user', () => {
    expect(last(runtime, 'USER')?.args).toMatch(/^(nonroot|65532)(:(nonroot|65532))?$/);
  });

  test('the runtime stage copies only dist, production node_modules and package.json from the build stage', () => {
    const cs = copies(runtime);
    expect(cs.length).toBeGreaterThan(0);
    for (const c of cs) expect(c.from).toBe(buildStage.name);
    const wd = workdir(buildStage);
    const sources = cs
      .flatMap((c) => c.sources)
      .map((s) => path.posix.relative(wd, s))
      .sort();
    expect(sources).toEqual(['dist', 'node_modules', 'package.json', 'scripts/code-cache-routes.yaml', 'scripts/code-cache.js']);
    // node_modules comes from the build stage after `npm prune --omit=dev`, never from the host.
    expect(all(runtime, 'ADD')).toEqual([]);
  });

  test('the runtime stage runs only its own Node, in exec form (distroless has no shell), to make the code cache', () => {
    const runs = all(runtime, 'RUN').map((r) => JSON.parse(r.args) as string[]);
    expect(runs).toEqual([['/nodejs/bin/node', 'scripts/code-cache.js']]);
  });

  test('the entry point is the lean server, as `npm run serve`, on $PORT', () => {
    const ep = entrypoint();
    const pkg = JSON.parse(read('package.json'));
    // `npm run serve` builds if needed, then runs this file with node.
    const served = (pkg.scripts.serve as string).split('&&').pop()!.trim().split(/\s+/);
    expect(ep).toEqual(['/nodejs/bin/node', ...served.slice(1)]);
    expect(ep).toEqual(['/nodejs/bin/node', 'dist/service/serve.js']);
    expect(
      all(buildStage, 'RUN')
        .map((r) => r.args)
        .join(' '),
    ).toContain('test -f dist/service/serve.js');
    // The port comes from $PORT (Cloud Run sets it); the entry point does not pin one.
    expect(ep.some((a) => a.startsWith('--port'))).toBe(false);
    expect(last(runtime, 'ENV')?.args).toMatch(/PORT=8080/);
  });

  test('Cloud Functions keeps Functions Framework: `main`, `gcp-build` and `npm start`, whose files the image has too', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.main).toBe('dist/service/router.js');
    expect(pkg.scripts['gcp-build']).toBe('npm run build');
    expect(pkg.scripts.start).toBe('functions-framework --source=dist/service/router.js --target=router --signature-type=http');
    expect(
      all(buildStage, 'RUN')
        .map((r) => r.args)
        .join(' '),
    ).toContain('test -f node_modules/@google-cloud/functions-framework/build/src/main.js');
  });

  test('nothing in the runtime stage needs $HOME or a writable filesystem', () => {
    const text = runtime.body.map((i) => `${i.cmd} ${i.args}`).join('\n');
    expect(text).not.toMatch(/\$HOME|VOLUME|npm |--chown|chmod/);
    expect(entrypoint().join(' ')).not.toMatch(/npm|npx|sh -c/);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  /** Docker's rule: a pattern excludes the paths it matches and everything below them; `!` re-includes; last match wins. */
  function excluded(p: string): boolean {
    let out = false;
    const parts = p.split('/');
    for (const raw of patterns) {
      const neg = raw.startsWith('!');
      const pat = (neg ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
      const isMatch = picomatch(pat, { dot: true });
      const hit = parts.some((_x, i) => isMatch(parts.slice(0, i + 1).join('/')));
      if (hit) out = !neg;
    }
    return out;
  }

  test.each(['node_modules/yaml/package.json', 'test/ship/image.test.ts', '.git/HEAD', 'dist/functions/index.js', 'functions/node_modules/x/index.js'])(
    'keeps %s out of the build context',
    (p) => expect(excluded(p)).toBe(true),
  );

  test('keeps every file the build stage copies', () => {
    const sources = copies(buildStage)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(fs.existsSync(path.join(ROOT, s))).toBe(true);
      expect(excluded(s)).toBe(false);
      if (fs.statSync(path.join(ROOT, s)).isDirectory()) expect(excluded(`${s}/index.ts`)).toBe(false);
    }
  });
});

describe('the image, emulated without a Docker engine', () => {
  let tmp: string;
  let child: ReturnType<typeof spawn> | undefined;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ship-image-'));
  });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
  }

  function request(port: number, method: string, p: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  function listFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) out.push(p);
      else if (e.isDirectory()) out.push(...listFiles(p));
      else out.push(`${p}:${fs.statSync(p).mtimeMs}`);
    }
    return out.sort();
  }

  test('compiles from the build stage COPY set alone, and the runtime files answer on $PORT', async () => {
    // Build stage: only what its COPY lines bring in; node_modules is the repo's (npm ci needs the network).
    const buildDir = path.join(tmp, 'build');
    fs.mkdirSync(buildDir);
    for (const c of copies(buildStage).filter((x) => !x.from)) {
      for (const s of c.sources) fs.cpSync(path.join(ROOT, s), path.join(buildDir, s), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: buildDir,
      encoding: 'utf8',
      timeout: 120000,
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    // `npm run build` then bundles what tsc produced into the file the entry point names.
    const bundle = spawnSync(process.execPath, ['scripts/bundle.js'], { cwd: buildDir, encoding: 'utf8', timeout: 120000 });
    expect(bundle.stdout + bundle.stderr).toMatch(
      /^code cache: dist\/service\/bundle\/router\.js\.v[\d.]+-\w+\.v8cache \(\d+ KB\)\ncode cache: dist\/service\/bundle\/serve\.js\.v[\d.]+-\w+\.v8cache \(\d+ KB\)\n$/,
    );
    expect(bundle.status).toBe(0);

    // Runtime stage: exactly what it copies from the build stage, at its WORKDIR.
    const runDir = path.join(tmp, 'run');
    fs.mkdirSync(runDir);
    const bwd = workdir(buildStage);
    for (const c of copies(runtime)) {
      for (const s of c.sources) {
        const rel = path.posix.relative(bwd, s);
        let dest = path.join(runDir, path.posix.relative(workdir(runtime), path.posix.resolve(workdir(runtime), c.dest)));
        if (c.dest.endsWith('/')) dest = path.join(dest, path.posix.basename(s));
        if (rel === 'node_modules') fs.symlinkSync(path.join(ROOT, 'node_modules'), dest);
        else fs.cpSync(path.join(buildDir, rel), dest, { recursive: true });
      }
    }
    const env: Record<string, string> = {};
    for (const e of all(runtime, 'ENV')) {
      for (const kv of e.args.split(' ')) {
        const i = kv.indexOf('=');
        env[kv.slice(0, i)] = kv.slice(i + 1);
      }
    }
    // The runtime stage's RUN (the code cache, made by the runtime's Node), with the image's environment only.
    for (const r of all(runtime, 'RUN')) {
      const [, ...runArgs] = JSON.parse(r.args) as string[];
      const made = spawnSync(process.execPath, runArgs, { cwd: runDir, env, encoding: 'utf8', timeout: 120000 });
      expect({ status: made.status, stderr: made.stderr }).toEqual({ status: 0, stderr: '' });
    }
    const before = listFiles(runDir);
    const ffPkg = JSON.parse(read('node_modules/@google-cloud/functions-framework/package.json'));
    const frameworkCommand = [
      path.posix.join('node_modules/@google-cloud/functions-framework', ffPkg.bin['functions-framework']),
      ...(JSON.parse(read('package.json')).scripts.start as string).split(/\s+/).slice(1),
    ];
    // The image's own entry point, then Functions Framework as docs/deploy.md overrides the command to it.
    for (const [name, args, startLines] of [
      ['entry point (lean server)', entrypoint().slice(1), ['(lean server)', '"codeCache":"used"']],
      ['Functions Framework, by --command/--args', frameworkCommand, ['"codeCache":"used"']],
    ] as const) {
      const port = await freePort();
      const runEnv = { ...env, PORT: String(port) }; // what Cloud Run does; no HOME, no PATH
      let log = '';
      child = spawn(process.execPath, [...args], { cwd: runDir, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (log += d));
      child.stderr!.on('data', (d) => (log += d));

      let health = { status: 0, body: '' };
      for (let i = 0; i < 100 && health.status !== 200; i++) {
        health = await request(port, 'GET', '/healthz').catch(() => ({ status: 0, body: '' }));
        if (health.status !== 200) await new Promise((r) => setTimeout(r, 100));
        if (child.exitCode !== null) break;
      }
      expect({ name, status: health.status, log: health.status === 200 ? '' : log }).toEqual({ name, status: 200, log: '' });
      // The lean server says so; each bundle was compiled from the code cache the RUN made, not from source.
      for (const line of startLines) expect(log).toContain(line);

      // A structured CloudEvent, as any producer would send it: handled by the default `log` route.
      const ev = await request(
        port,
        'POST',
        '/',
        { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        JSON.stringify({
          specversion: '1.0',
          id: 'ship-1',
          source: '//storage.googleapis.com/projects/_/buckets/shop-uploads',
          type: 'google.cloud.storage.object.v1.finalized',
          subject: 'objects/a.txt',
          time: '2026-01-01T00:00:00Z',
          datacontenttype: 'application/json',
          data: { bucket: 'shop-uploads', name: 'a.txt', generation: '1' },
        }),
      );
      expect({ name, status: ev.status }).toEqual({ name, status: 204 });

      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
      expect(listFiles(runDir)).toEqual(before);
    }
  }, 120000);
});

describe('cloudbuild.yaml', () => {
  const cb = YAML.parse(read('cloudbuild.yaml'));
  const steps = cb.steps as { id: string; name: string; args: string[]; entrypoint?: string; waitFor?: string[] }[];
  const image = '${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/${_SERVICE}:${BUILD_ID}';

  test('runs the tests, builds, pushes and deploys, each after the one before', () => {
    expect(steps.map((s) => s.id)).toEqual(['test', 'build', 'push', 'deploy']);
    steps.slice(1).forEach((s, i) => expect(s.waitFor).toEqual([steps[i].id]));
  });

  test('the test step runs the CI script on Node.js 20', () => {
    expect(steps[0].name).toMatch(/^node:20/);
    expect(steps[0].args.join(' ')).toMatch(/\.ci\/run/);
    expect(fs.existsSync(path.join(ROOT, '.ci/run'))).toBe(true);
  });

  test('the image built is the image pushed to Artifact Registry and the image deployed', () => {
    expect(steps[1].args).toEqual(expect.arrayContaining(['build', '-t', image, '.']));
    expect(steps[2].args).toEqual(['push', image]);
    expect(image).toMatch(/-docker\.pkg\.dev\//);
    expect(steps[3].entrypoint).toBe('gcloud');
    expect(steps[3].args.slice(0, 3)).toEqual(['run', 'deploy', '${_SERVICE}']);
    expect(steps[3].args).toEqual(expect.arrayContaining([`--image=${image}`, '--region=${_REGION}']));
    expect(cb.images).toEqual([image]);
  });

  test('every user substitution it uses has a default', () => {
    const used = new Set([...JSON.stringify(steps).matchAll(/\$\{(_[A-Z_]+)\}/g)].map((m) => m[1]));
    expect(Object.keys(cb.substitutions).sort()).toEqual([...used].sort());
  });
});
