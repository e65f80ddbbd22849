/**
 * `eventarc-router sync-images SRC_REPO DST_REPO` against two real
 * `docker-registry` instances (the target behind a counting proxy): a
 * repository with plain tags, an alias, a multi-platform index and a signed
 * image with an attestation; the first sync copies all, the second skips all
 * without a write, a --tags glob takes a subset, a tag whose blob is missing at
 * the source fails alone, and the exit status says so.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { formatSyncSummary, parseSyncImagesArgs, syncImagesCommand, tagSelector } from '../../functions/cli/sync-images';
import { releaseTags } from '../../functions/registry/sync';
import { startRegistry, type Registry } from '../support/registry';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { pushImage, pushIndex, tagDigest, type Pushed } from '../support/synthetic-images';
import { attestationSpec, cosignSign, fallbackIndexDigests, pushArtifact, pushFallbackIndex, signingKeys, verifyCosign } from '../support/signed-images';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'functions', 'cli', 'main.js');
const KIB = 1024;
const REPO = 'proj/releases/app';
const keys = signingKeys();
let source: Registry;
let target: Registry;
let proxy: FaultProxy;
const pushed: Record<string, Pushed> = {};
let attestation: string;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
  proxy = await startFaultProxy(Number(target.host.split(':')[1]));
  pushed['v1.0'] = await pushImage(source.url, REPO, { seed: 'sync-1.0', layerSizes: [256 * KIB, 64 * KIB], compression: 'gzip' }, 'v1.0');
  pushed['v1.1'] = await pushImage(source.url, REPO, { seed: 'sync-1.1', layerSizes: [128 * KIB] }, 'v1.1');
  // An alias of v1.1: same digest, its blobs found already there.
  pushed['latest'] = pushed['v1.1'];
  await fetch(`${source.url}/v2/${REPO}/manifests/latest`, {
    method: 'PUT',
    headers: { 'content-type': pushed['v1.1'].mediaType },
    body: pushed['v1.1'].bytes,
  });
  pushed['v2.0'] = await pushIndex(
    source.url,
    REPO,
    [
      { seed: 'sync-amd64', layerSizes: [96 * KIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'sync-arm64', layerSizes: [96 * KIB], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    'v2.0',
  );
  // v1.2 is signed (cosign .sig tag) and attested through `subject`, listed in the fallback tag index.
  const signed = (pushed['v1.2'] = await pushImage(source.url, REPO, { seed: 'sync-1.2', layerSizes: [64 * KIB] }, 'v1.2'));
  await cosignSign(source.url, REPO, `${source.host}/${REPO}`, signed.digest, keys.privateKey);
  const subject = { mediaType: signed.mediaType, digest: signed.digest, size: signed.bytes.length };
  const att = await pushArtifact(source.url, REPO, attestationSpec(subject, keys.privateKey));
  attestation = att.digest;
  await pushFallbackIndex(source.url, REPO, signed.digest, [att]);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([source?.stop(), target?.stop()]);
});

function plainIo() {
  const lines: string[] = [];
  return { io: { stderr: { write: (t: string) => lines.push(t), isTTY: false }, env: {} }, text: () => lines.join('') };
}

const TAGS = ['latest', 'v1.0', 'v1.1', 'v1.2', 'v2.0'];

test('the first sync copies every tag with its signature and attestation; the second skips every one without a write', async () => {
  const first = plainIo();
  expect(await syncImagesCommand([`${source.host}/${REPO}`, `${proxy.host}/mirror/app`, '--jobs', '3'], first.io)).toBe(0);
  for (const tag of TAGS) expect(await tagDigest(target.url, 'mirror/app', tag)).toBe(pushed[tag].digest);
  // A verifier reading only the target finds the signature, and the attestation is listed under the subject.
  expect(await verifyCosign(target.url, 'mirror/app', pushed['v1.2'].digest, keys.publicKey)).toBe(1);
  expect(await fallbackIndexDigests(target.url, 'mirror/app', pushed['v1.2'].digest)).toEqual([attestation]);
  // One line per tag (not a terminal), then the summary; the referrer tags are not tags of their own.
  const text = first.text();
  for (const tag of TAGS) expect(text).toMatch(new RegExp(`^copied  ${tag.replace('.', '\\.')} sha256:[0-9a-f]{64} \\(`, 'm'));
  expect(text).toMatch(/^copied {2}v1\.2 .*2 referrers copied\)$/m);
  expect(text).toMatch(new RegExp(`-> ${proxy.host}/mirror/app: 5 tags: 5 copied, 0 skipped, 0 failed, [1-9]\\d* bytes, 2 referrers copied in `));

  const mark = proxy.requests.length;
  const second = plainIo();
  expect(await syncImagesCommand([`${source.host}/${REPO}`, `${proxy.host}/mirror/app`], second.io)).toBe(0);
  expect(second.text()).toContain(': 5 tags: 0 copied, 5 skipped, 0 failed, 0 bytes, 0 referrers copied in ');
  for (const tag of TAGS) expect(second.text()).toContain(`skipped ${tag} (already at ${pushed[tag].digest})`);
  // Resumable by reading only: no upload started, no manifest written, no blob even asked about.
  const since = proxy.requests.slice(mark);
  expect(since.length).toBeGreaterThan(0);
  expect(since.filter((r) => !r.startsWith('HEAD ') && !r.startsWith('GET '))).toEqual([]);
  expect(since.filter((r) => r.includes('/blobs/'))).toEqual([]);
}, 60_000);

test('--tags takes the matching tags only, and a later full sync copies the rest and skips those', async () => {
  const subset = plainIo();
  expect(await syncImagesCommand([`${source.host}/${REPO}`, `${target.host}/subset/app`, '--tags', 'v1.*', '--no-referrers'], subset.io)).toBe(0);
  expect(subset.text()).toContain(': 3 of 5 tags: 3 copied, 0 skipped, 0 failed, ');
  for (const tag of ['v1.0', 'v1.1', 'v1.2']) expect(await tagDigest(target.url, 'subset/app', tag)).toBe(pushed[tag].digest);
  for (const tag of ['v2.0', 'latest']) expect(await tagDigest(target.url, 'subset/app', tag)).toBeUndefined();
  // --no-referrers: the signature stayed behind.
  expect(await verifyCosign(target.url, 'subset/app', pushed['v1.2'].digest, keys.publicKey)).toBe(0);

  const rest = plainIo();
  expect(await syncImagesCommand([`${source.host}/${REPO}`, `${target.host}/subset/app`, '--no-referrers'], rest.io)).toBe(0);
  expect(rest.text()).toContain(': 5 tags: 2 copied, 3 skipped, 0 failed, ');
  for (const tag of TAGS) expect(await tagDigest(target.url, 'subset/app', tag)).toBe(pushed[tag].digest);
}, 60_000);

test('a tag whose blob is gone at the source fails alone: the others are copied, the summary counts it, the process exits 1', async () => {
  const broken = 'proj/releases/broken';
  const good = await pushImage(source.url, broken, { seed: 'broken-good', layerSizes: [32 * KIB] }, 'good');
  const bad = await pushImage(source.url, broken, { seed: 'broken-bad', layerSizes: [32 * KIB] }, 'bad');
  const layer = bad.blobs[1].digest;
  expect((await fetch(`${source.url}/v2/${broken}/blobs/${layer}`, { method: 'DELETE' })).status).toBe(202);

  const run = await promisify(execFile)(process.execPath, [CLI, 'sync-images', `${source.host}/${broken}`, `${target.host}/mirror/broken`]).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^failed  bad: .*${layer}: 404`, 'm'));
  expect(run.stderr).toContain(`copied  good ${good.digest}`);
  expect(run.stderr).toContain(': 2 tags: 1 copied, 0 skipped, 1 failed, ');
  expect(await tagDigest(target.url, 'mirror/broken', 'good')).toBe(good.digest);
  expect(await tagDigest(target.url, 'mirror/broken', 'bad')).toBeUndefined();
}, 60_000);

test('on a terminal: one updating line, failures above it, the summary last', async () => {
  const lines: string[] = [];
  const io = { stderr: { write: (t: string) => lines.push(t), isTTY: true }, env: {} };
  expect(await syncImagesCommand([`${source.host}/${REPO}`, `${target.host}/tty/app`, '--tags', 'v2.*'], io)).toBe(0);
  const text = lines.join('');
  // Each redraw returns to the line's start and clears it (CR, ESC [K).
  expect(text).toContain('\r\u001b[K1/1 tags: 1 copied, 0 skipped, 0 failed  ');
  expect(text).toMatch(/1\/1 tags: 1 copied, 0 skipped, 0 failed {2}[\d.]+ MiB {2}[\d.]+ MiB\/s\n/);
  expect(text).not.toContain('copied  v2.0');
  expect(text).toMatch(/: 1 of 5 tags: 1 copied, 0 skipped, 0 failed, \d+ bytes, 0 referrers copied in [\d.]+ s\n$/);
}, 60_000);

test('a source that cannot be listed, or arguments it cannot use, end with exit 1 or 2 and say why', async () => {
  const missing = plainIo();
  const closed = await startRegistry('closed-registry');
  const host = closed.host;
  await closed.stop();
  expect(await syncImagesCommand([`${host}/a/b`, `${target.host}/c/d`], missing.io)).toBe(1);
  expect(missing.text()).toMatch(/^sync-images failed: .*ECONNREFUSED/m);

  const usage = plainIo();
  for (const argv of [
    [`${source.host}/a/b:v1`, `${target.host}/c/d`],
    [`${source.host}/a/b`, `${target.host}/c/d@sha256:${'0'.repeat(64)}`],
    [`${source.host}/a/b`, `${source.host}/a/b`],
    ['--jobs', '0', 'h.example/a/b', 'h.example/c/d'],
    ['--tags', '!(v1)', 'h.example/a/b', 'h.example/c/d'],
    ['--no-referrers', '--artifact-type', 'x/y', 'h.example/a/b', 'h.example/c/d'],
    ['h.example/a/b'],
  ]) {
    expect(await syncImagesCommand(argv, usage.io)).toBe(2);
  }
  expect(usage.text()).toContain('usage: eventarc-router sync-images');
  expect(await syncImagesCommand(['--help'], usage.io)).toBe(0);
  expect(parseSyncImagesArgs(['--tags', 'v1.*', '--tags', 'rc-*', '--jobs', '8', '--insecure', 'h:1/a/b', 'h:2/c/d'])).toEqual({
    src: { host: 'h:1', repository: 'a/b' },
    dst: { host: 'h:2', repository: 'c/d' },
    tags: ['v1.*', 'rc-*'],
    jobs: 8,
    insecure: true,
    referrers: { artifactTypes: undefined },
  });
});

test('which listed tags are synced: releases, not referrer tags; anything that is no tag is reported', () => {
  const hex = 'a'.repeat(64);
  const listed = ['v1', 'v1', `sha256-${hex}`, `sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`, 'sha256-short', 'rc-2', 42, '../x'];
  expect(releaseTags(listed)).toEqual({ listed: 5, selected: ['v1', 'sha256-short', 'rc-2'], invalid: ['"42"', '"../x"'] });
  expect(releaseTags(listed, tagSelector(['v*', 'rc-?']))).toMatchObject({ selected: ['v1', 'rc-2'] });
  expect(tagSelector([])).toBeUndefined();
  const report = { listed: 5, selected: 2, copied: 1, skipped: 0, failed: 1, bytes: 10, referrers: 0, failures: [] };
  expect(formatSyncSummary('a/b', 'c/d', report, 1500)).toBe(
    'sync-images a/b -> c/d: 2 of 5 tags: 1 copied, 0 skipped, 1 failed, 10 bytes, 0 referrers copied in 1.5 s',
  );
});
