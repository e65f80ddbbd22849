/**
 * The pack cache the package and example suites share (packed-package.ts), on a small
 * package of its own packed by the real `npm pack`: a tarball is reused only while what
 * npm packs is unchanged, and workers asking at once get one pack.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packCached, packedContentKey } from './packed-package';

let work: string;
let pkg: string;
let cache: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'packed-package-'));
  pkg = path.join(work, 'pkg');
  cache = path.join(work, 'cache');
  fs.mkdirSync(path.join(pkg, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'lib/index.js', files: ['lib/'] }));
  fs.writeFileSync(path.join(pkg, 'README.md'), 'tiny\n');
  fs.writeFileSync(path.join(pkg, 'lib', 'index.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(pkg, 'notes.txt'), 'not packed\n');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

/** The paths and contents inside a tarball, as `tar` lists them. */
const tarText = (tarball: string, member: string) => execFileSync('tar', ['-xzOf', tarball, `package/${member}`], { encoding: 'utf8' });

test('the key follows the content of every packed file, not mtimes, and not files npm leaves out', () => {
  const first = packedContentKey(pkg);
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(pkg, 'lib', 'index.js'), later, later);
  fs.writeFileSync(path.join(pkg, 'notes.txt'), 'still not packed\n');
  expect(packedContentKey(pkg)).toBe(first);

  fs.writeFileSync(path.join(pkg, 'lib', 'index.js'), 'module.exports = 2;\n');
  const changed = packedContentKey(pkg);
  expect(changed).not.toBe(first);
  fs.writeFileSync(path.join(pkg, 'lib', 'extra.js'), '');
  expect(packedContentKey(pkg)).not.toBe(changed);
  fs.writeFileSync(path.join(pkg, 'README.md'), 'tiny, documented\n');
  expect(packedContentKey(pkg)).not.toBe(changed);
});

test('an unchanged package is packed once; a change packs again, and the tarball has it', async () => {
  const first = await packCached(pkg, cache);
  expect(first.files).toEqual(['README.md', 'lib/index.js', 'package.json']);
  expect(first.integrity).toMatch(/^sha512-/);
  const stat = fs.statSync(first.tarball);

  const again = await packCached(pkg, cache);
  expect(again).toEqual(first);
  expect(fs.statSync(again.tarball)).toMatchObject({ ino: stat.ino, mtimeMs: stat.mtimeMs });

  fs.writeFileSync(path.join(pkg, 'lib', 'index.js'), 'module.exports = 2;\n');
  const repacked = await packCached(pkg, cache);
  expect(repacked.tarball).not.toBe(first.tarball);
  expect(tarText(repacked.tarball, 'lib/index.js')).toBe('module.exports = 2;\n');
  // Only the newest tarball is kept.
  expect(fs.existsSync(first.tarball)).toBe(false);

  // A tarball gone from the cache (a temp cleaner) is packed again.
  fs.rmSync(repacked.tarball);
  expect(await packCached(pkg, cache)).toEqual(repacked);
  expect(fs.existsSync(repacked.tarball)).toBe(true);
});

test('callers asking at once share one pack; what runs before packing runs under the lock, one at a time', async () => {
  let inside = 0;
  let most = 0;
  const beforePack = async () => {
    most = Math.max(most, ++inside);
    await new Promise((r) => setTimeout(r, 100));
    inside--;
  };
  const [a, b, c] = await Promise.all([packCached(pkg, cache, beforePack), packCached(pkg, cache, beforePack), packCached(pkg, cache, beforePack)]);
  expect(most).toBe(1);
  expect(b).toEqual(a);
  expect(c).toEqual(a);
  expect(fs.readdirSync(cache)).toEqual([path.basename(path.dirname(a.tarball))]);
});

test('a lock left by a process that died is taken over', async () => {
  fs.mkdirSync(path.join(cache, 'lock'), { recursive: true });
  // A pid no process has: above the kernel's pid_max.
  fs.writeFileSync(path.join(cache, 'lock', 'pid'), String(2 ** 22 + 1));
  const packed = await packCached(pkg, cache);
  expect(fs.existsSync(packed.tarball)).toBe(true);
  expect(fs.existsSync(path.join(cache, 'lock'))).toBe(false);
});
