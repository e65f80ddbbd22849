/**
 * V8's code cache for the bundles (functions/support/code-cache.ts), across real
 * processes as in production: one process makes it, the next loads with it. A
 * cache V8 refuses, or none for this Node, still loads the module as require would.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { waitForPrinted } from '../support/json-logs';
import { startService } from '../support/service';

const ROOT = path.resolve(__dirname, '..', '..');
// The compiled module, as scripts/code-cache.js and dist/service/router.js use it.
const CODE_CACHE = path.join(ROOT, 'dist', 'functions', 'support', 'code-cache.js');

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-'));
  file = path.join(dir, 'module.js');
  // A module with some code to cache, a require of its own, and start-up work.
  fs.writeFileSync(
    file,
    `const path = require('path');
     const squares = []; for (let i = 0; i < 1000; i++) squares.push(i * i);
     exports.sum = squares.reduce((a, b) => a + b, 0);
     exports.base = path.basename(__filename);
     exports.requireWorks = typeof require('./helper') === 'function';`,
  );
  fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = () => 1;');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function node(script: string, nodeOptions = process.env.NODE_OPTIONS ?? ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000, env: { ...process.env, NODE_OPTIONS: nodeOptions } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const load = (nodeOptions?: string) =>
  node(
    `const c = require(${JSON.stringify(CODE_CACHE)}); const m = c.requireWithCodeCache(${JSON.stringify(file)});
     console.log(JSON.stringify({ use: c.codeCacheUse(), m, same: require(${JSON.stringify(file)}) === m }));`,
    nodeOptions,
  );
const make = (nodeOptions?: string) => node(`require(${JSON.stringify(CODE_CACHE)}).writeCodeCache(${JSON.stringify(file)})`, nodeOptions);

const cacheFile = () => `${file}.${process.version}-${process.arch}.v8cache`;
const expected = { sum: 332833500, base: 'module.js', requireWorks: true };

test('a cache made by one process is used by the next, which gets the same module require() would', () => {
  const made = node(`console.log(JSON.stringify(require(${JSON.stringify(CODE_CACHE)}).writeCodeCache(${JSON.stringify(file)})))`);
  expect(made.stderr).toBe('');
  expect(JSON.parse(made.stdout)).toEqual({ cacheFile: cacheFile(), bytes: fs.statSync(cacheFile()).size });

  const loaded = load();
  expect(loaded.stderr).toBe('');
  expect(JSON.parse(loaded.stdout)).toEqual({ use: 'used', m: expected, same: true });
});

test('a cache V8 refuses (corrupt, or from another build) is reported and the module loads from source', () => {
  fs.writeFileSync(cacheFile(), Buffer.alloc(4096, 7));
  const loaded = load();
  expect(loaded.stderr).toBe('');
  expect(JSON.parse(loaded.stdout)).toEqual({ use: 'rejected', m: expected, same: true });
});

test('heap flags are part of what V8 checks: a cache serves the NODE_OPTIONS it was made with', () => {
  expect(make().status).toBe(0);
  expect(JSON.parse(load('--max-old-space-size=256').stdout)).toMatchObject({ use: 'rejected', m: expected });
  expect(make('--max-old-space-size=256').status).toBe(0);
  expect(JSON.parse(load('--max-old-space-size=256').stdout)).toMatchObject({ use: 'used', m: expected });
});

test('without a cache for this Node version, it is an ordinary require', () => {
  fs.writeFileSync(`${file}.v0.0.0-${process.arch}.v8cache`, Buffer.alloc(16));
  const loaded = load();
  expect(loaded.stderr).toBe('');
  expect(JSON.parse(loaded.stdout)).toEqual({ use: 'none', m: expected, same: true });
});

test("a module's warmUp() runs while its cache is made (a start without a port), and not when the module is loaded", () => {
  const marker = path.join(dir, 'warmed');
  fs.appendFileSync(file, `\nexports.warmUp = () => require('fs').writeFileSync(${JSON.stringify(marker)}, 'warm');`);
  expect(make().stderr).toBe('');
  expect(fs.readFileSync(marker, 'utf8')).toBe('warm');
  fs.rmSync(marker);
  const loaded = load();
  expect(loaded.stderr).toBe('');
  expect(JSON.parse(loaded.stdout)).toMatchObject({ use: 'used', m: expected });
  expect(fs.existsSync(marker)).toBe(false);
});

test('the lean server (the image entry point) starts from the cache the build made for it', async () => {
  const bundle = path.join(ROOT, 'dist', 'service', 'bundle', 'serve.js');
  expect(fs.existsSync(`${bundle}.${process.version}-${process.arch}.v8cache`)).toBe(true);
  const service = await startService({ server: 'lean', routes: 'routes: []\n' });
  try {
    const lines = await waitForPrinted(service.peer, (logs) => logs.some((l) => 'codeCache' in l));
    expect(lines.find((l) => 'codeCache' in l)).toMatchObject({ severity: 'INFO', codeCache: 'used' });
    expect(lines.some((l) => String(l.message).endsWith('(lean server)'))).toBe(true);
  } finally {
    await service.stop();
  }
});

test('the build made a cache for this Node, and the served bundle starts from it', () => {
  const bundle = path.join(ROOT, 'dist', 'service', 'bundle', 'router.js');
  expect(fs.existsSync(`${bundle}.${process.version}-${process.arch}.v8cache`)).toBe(true);
  const started = node(
    `require(${JSON.stringify(require.resolve('@google-cloud/functions-framework'))}); require(${JSON.stringify(path.join(ROOT, 'dist', 'service', 'router.js'))});`,
  );
  expect(started.stderr).toBe('');
  expect(JSON.parse(started.stdout.split('\n')[0])).toMatchObject({ severity: 'INFO', codeCache: 'used' });
});
