/**
 * `eventarc-router copy-image SRC DST`, in process and as a process killed halfway.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { copyImageCommand, parseCopyImageArgs } from '../../functions/cli/copy-image';
import { startRegistry, type Registry } from '../support/registry';
import { startFaultProxy } from '../support/fault-proxy';
import { pushImage, pushIndex, tagDigest } from '../support/synthetic-images';

const MIB = 1024 * 1024;
let source: Registry;
let target: Registry;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

function quietIo() {
  const lines: string[] = [];
  return { io: { stderr: { write: (t: string) => lines.push(t), isTTY: false }, env: {} }, lines };
}

test('copy-image copies all platforms by default, quietly when not on a terminal, and sets the source tag', async () => {
  const index = await pushIndex(
    source.url,
    'proj/repo/cli',
    [
      { seed: 'cli-amd64', layerSizes: [MIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'cli-arm64', layerSizes: [MIB], platform: { os: 'linux', architecture: 'arm64' } },
    ],
    'v3',
  );
  const { io, lines } = quietIo();
  expect(await copyImageCommand([`${source.host}/proj/repo/cli:v3`, `${target.host}/other/repo/cli`], io)).toBe(0);
  expect(lines).toEqual([]);
  expect(await tagDigest(target.url, 'other/repo/cli', 'v3')).toBe(index.digest);
});

test('copy-image shows bytes, blobs and rate on a terminal', async () => {
  await pushImage(source.url, 'proj/repo/tty', { seed: 'tty', layerSizes: [MIB, MIB] }, 'v1');
  const lines: string[] = [];
  const io = { stderr: { write: (t: string) => lines.push(t), isTTY: true }, env: {} };
  expect(await copyImageCommand([`${source.host}/proj/repo/tty:v1`, `${target.host}/other/repo/tty:v1`, '--jobs', '2'], io)).toBe(0);
  const text = lines.join('');
  expect(text).toMatch(/2\.0 MiB {2}3\/3 blobs \(0 skipped, 0 mounted\) {2}[\d.]+ MiB\/s/);
  expect(text).toContain(`to ${target.host}/other/repo/tty:v1: `);
  expect(text).toMatch(/: \d+ bytes, 3 blobs copied, 0 skipped, 0 mounted, 0 referrers; read back sha256:[0-9a-f]{64}\n$/);
});

test('copy-image reads its flags and refuses what it cannot do (exit 2)', async () => {
  expect(parseCopyImageArgs(['--platform', 'linux/arm64/v8', '--jobs', '8', '--insecure', 'h:1/a/b:v1', 'h:2/c/d'])).toMatchObject({
    platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }],
    jobs: 8,
    insecure: true,
    dst: { host: 'h:2', repository: 'c/d', tag: 'v1' },
  });
  expect(parseCopyImageArgs(['h:1/a/b:v1', 'h:2/c/d']).referrers).toEqual({ artifactTypes: undefined });
  expect(parseCopyImageArgs(['--no-referrers', 'h:1/a/b:v1', 'h:2/c/d']).referrers).toBe(false);
  expect(parseCopyImageArgs(['--artifact-type', 'a/b', '--artifact-type', 'c/d', 'h:1/a/b:v1', 'h:2/c/d']).referrers).toEqual({
    artifactTypes: ['a/b', 'c/d'],
  });
  const { io, lines } = quietIo();
  expect(await copyImageCommand(['--no-referrers', '--artifact-type', 'a/b', 'h/a:v1', 'h/b'], io)).toBe(2);
  expect(await copyImageCommand(['only-one-arg'], io)).toBe(2);
  expect(await copyImageCommand(['--jobs', '0', 'h/a:v1', 'h/b'], io)).toBe(2);
  expect(await copyImageCommand(['--all-platforms', '--platform', 'linux/amd64', 'h/a:v1', 'h/b'], io)).toBe(2);
  expect(lines.join('')).toContain('usage: eventarc-router copy-image');
  expect(await copyImageCommand(['--help'], io)).toBe(0);
});

test('copy-image fails with exit 1 naming the reference when the source is missing', async () => {
  const { io, lines } = quietIo();
  expect(await copyImageCommand([`${source.host}/proj/repo/nothing:v1`, `${target.host}/other/repo/nothing`], io)).toBe(1);
  expect(lines.join('')).toContain(`${source.host}/proj/repo/nothing:v1 not found (404)`);
});

test('a copy killed halfway leaves the target tag where it was', async () => {
  const old = await pushImage(target.url, 'other/repo/killed', { seed: 'killed-old', layerSizes: [MIB] }, 'v1');
  const next = await pushImage(source.url, 'proj/repo/killed', { seed: 'killed-new', layerSizes: Array(8).fill(2 * MIB) }, 'v1');
  // Slow each blob's answer so the kill lands with some blobs committed and others not.
  const proxy = await startFaultProxy(Number(target.host.split(':')[1]), { blobPutDelayMs: 400 });
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'run-copy-image.js'), '--jobs', '2', `${source.host}/proj/repo/killed:v1`, `${proxy.host}/other/repo/killed:v1`],
    { stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    const deadline = Date.now() + 20_000;
    while (proxy.blobsCommitted() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(proxy.blobsCommitted()).toBeGreaterThanOrEqual(3);
    process.kill(child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(proxy.blobsCommitted()).toBeLessThan(next.blobs.length);
    expect(await tagDigest(target.url, 'other/repo/killed', 'v1')).toBe(old.digest);
    expect(proxy.requests.some((r) => r.startsWith('PUT /v2/other/repo/killed/manifests/'))).toBe(false);
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    await proxy.stop();
  }
}, 40_000);
