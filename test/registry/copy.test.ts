/**
 * The copier against two real docker-registry instances on loopback.
 */
import { copyImage } from '../../functions/registry/copy';
import { credentialSource } from '../../functions/registry/credentials';
import { parsePlatform } from '../../functions/registry/manifest';
import { parseImageRef } from '../../functions/registry/reference';
import { Registries } from '../../functions/registry/registries';
import { DEFAULT_RETRY } from '../../functions/registry/retry';
import { startRegistry, type Registry } from '../support/registry';
import { startFaultProxy } from '../support/fault-proxy';
import { SIMPLE_SIGNING, cosignSign, signingKeys } from '../support/signed-images';
import { blobDigest, pushImage, pushIndex, tagDigest } from '../support/synthetic-images';

const KIB = 1024;
let source: Registry;
let target: Registry;
let registries: Registries;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
  registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });
});

afterAll(async () => {
  registries?.close();
  await Promise.all([source?.stop(), target?.stop()]);
});

const copy = (src: string, dst: string, extra: Partial<Parameters<typeof copyImage>[4]> = {}) => {
  const [s, d] = [parseImageRef(src), parseImageRef(dst)];
  return copyImage(registries.client(s.host), s, registries.client(d.host), d, { jobs: 4, retry: DEFAULT_RETRY, ...extra });
};

test('a single-platform image is copied by digest and the tag is set in the target', async () => {
  const image = await pushImage(source.url, 'proj/repo/app', { seed: 'single', layerSizes: [300 * KIB, 2 * 1024 * KIB, 17] }, 'v1');
  const report = await copy(`${source.host}/proj/repo/app:v1`, `${target.host}/other/repo/app:v1`);
  expect(report.digest).toBe(image.digest);
  expect(report.upToDate).toBe(false);
  expect(await tagDigest(target.url, 'other/repo/app', 'v1')).toBe(image.digest);
  for (const blob of image.blobs) expect(await blobDigest(target.url, 'other/repo/app', blob.digest)).toBe(blob.digest);
  expect(report.blobsCopied).toBe(4);
  expect(report.bytes).toBe(image.blobs.reduce((n, b) => n + b.size, 0));
});

test('a 2-platform index is copied with all its platforms, children before the index', async () => {
  const index = await pushIndex(
    source.url,
    'proj/repo/multi',
    [
      { seed: 'amd64', layerSizes: [100 * KIB, 200 * KIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'arm64', layerSizes: [150 * KIB], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    'latest',
  );
  const counter = await startFaultProxy(Number(target.host.split(':')[1])); // no faults: it records the order
  const report = await copy(`${source.host}/proj/repo/multi:latest`, `${counter.host}/other/repo/multi:latest`).finally(() => counter.stop());
  expect(await tagDigest(target.url, 'other/repo/multi', 'latest')).toBe(index.digest);
  const manifestPuts = counter.requests.filter((r) => r.startsWith('PUT /v2/other/repo/multi/manifests/'));
  expect(manifestPuts.slice(0, 2).sort()).toEqual(index.children.map((c) => `PUT /v2/other/repo/multi/manifests/${c.digest}`).sort());
  // The tag is the last write; only its read-back follows.
  const writes = counter.requests.filter((r) => !r.startsWith('GET ') && !r.startsWith('HEAD '));
  expect(writes[writes.length - 1]).toBe('PUT /v2/other/repo/multi/manifests/latest');
  expect(counter.requests[counter.requests.length - 1]).toBe('HEAD /v2/other/repo/multi/manifests/latest');
  for (const child of index.children) expect(await tagDigest(target.url, 'other/repo/multi', child.digest)).toBe(child.digest);
  for (const blob of index.blobs) expect(await blobDigest(target.url, 'other/repo/multi', blob.digest)).toBe(blob.digest);
  expect(report.manifests).toBe(3);
});

test('a platform filter copies only that platform, under an index listing just it', async () => {
  const index = await pushIndex(
    source.url,
    'proj/repo/filtered',
    [
      { seed: 'f-amd64', layerSizes: [10 * KIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'f-arm64', layerSizes: [10 * KIB], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    'v2',
  );
  const report = await copy(`${source.host}/proj/repo/filtered:v2`, `${target.host}/other/repo/filtered:v2`, {
    platforms: [parsePlatform('linux/arm64')],
  });
  expect(await tagDigest(target.url, 'other/repo/filtered', 'v2')).toBe(report.digest);
  expect(report.digest).not.toBe(index.digest);
  expect(await tagDigest(target.url, 'other/repo/filtered', index.children[1].digest)).toBe(index.children[1].digest);
  expect(await tagDigest(target.url, 'other/repo/filtered', index.children[0].digest)).toBeUndefined();
});

test('a digest-only push is copied by digest and sets no tag', async () => {
  const image = await pushImage(source.url, 'proj/repo/untagged', { seed: 'untagged', layerSizes: [64 * KIB] });
  const report = await copy(`${source.host}/proj/repo/untagged@${image.digest}`, `${target.host}/other/repo/untagged`);
  expect(report.target).toBe(`${target.host}/other/repo/untagged@${image.digest}`);
  expect(await tagDigest(target.url, 'other/repo/untagged', image.digest)).toBe(image.digest);
});

test('a re-copy finds the target tag at the source digest and stops after one manifest HEAD', async () => {
  const image = await pushImage(source.url, 'proj/repo/again', { seed: 'again', layerSizes: [128 * KIB] }, 'v1');
  await copy(`${source.host}/proj/repo/again@${image.digest}`, `${target.host}/other/repo/again:v1`);
  const counter = await startFaultProxy(Number(target.host.split(':')[1])); // no faults: it only counts
  try {
    const again = await copy(`${source.host}/proj/repo/again@${image.digest}`, `${counter.host}/other/repo/again:v1`);
    expect(again).toMatchObject({ upToDate: true, bytes: 0, manifests: 0, blobsTotal: 0, digest: image.digest });
    expect(counter.requests).toEqual(['HEAD /v2/other/repo/again/manifests/v1']);
  } finally {
    await counter.stop();
  }
});

test('a re-copy asks the source in one round: the manifest (what it holds), the tag list, and the referrers API only until it answered 404', async () => {
  const image = await pushImage(source.url, 'proj/repo/asked', { seed: 'asked', layerSizes: [64 * KIB] }, 'v1');
  await copy(`${source.host}/proj/repo/asked:v1`, `${target.host}/other/repo/asked:v1`);
  const counter = await startFaultProxy(Number(source.host.split(':')[1])); // no faults: it only records
  try {
    const first = await copy(`${counter.host}/proj/repo/asked:v1`, `${target.host}/other/repo/asked:v1`);
    expect(first).toMatchObject({ upToDate: true, bytes: 0, digest: image.digest, referrers: [] });
    // The tag list (asked with the manifest) shows no cosign or fallback tag: none of them is asked for.
    const tagHead = 'GET /v2/proj/repo/asked/manifests/v1';
    const tagList = 'GET /v2/proj/repo/asked/tags/list';
    expect([...counter.requests].sort()).toEqual([tagHead, tagList, `GET /v2/proj/repo/asked/referrers/${image.digest}`].sort());
    counter.requests.length = 0;
    // The same client again (a running service): docker-registry 2.8 has no referrers API, so it is not asked again.
    const second = await copy(`${counter.host}/proj/repo/asked:v1`, `${target.host}/other/repo/asked:v1`);
    expect(second).toMatchObject({ upToDate: true, digest: image.digest });
    expect([...counter.requests].sort()).toEqual([tagHead, tagList].sort());
  } finally {
    await counter.stop();
  }
});

test('a signed image re-copied by digest: only the referrer tags the source lists are asked for', async () => {
  const image = await pushImage(source.url, 'proj/repo/signed', { seed: 'signed', layerSizes: [16 * KIB] }, 'v1');
  const { privateKey } = signingKeys();
  const signature = await cosignSign(source.url, 'proj/repo/signed', `${source.host}/proj/repo/signed`, image.digest, privateKey);
  await copy(`${source.host}/proj/repo/signed@${image.digest}`, `${target.host}/other/repo/signed:v1`);
  const counter = await startFaultProxy(Number(source.host.split(':')[1])); // no faults: it only records
  try {
    const again = await copy(`${counter.host}/proj/repo/signed@${image.digest}`, `${target.host}/other/repo/signed:v1`);
    expect(again).toMatchObject({ upToDate: true, digest: image.digest });
    const tag = `sha256-${image.digest.slice(7)}.sig`;
    expect(again.referrers).toEqual([{ digest: signature.digest, subject: image.digest, artifactType: SIMPLE_SIGNING, recordedAs: 'tag', tag, copied: false }]);
    // .att, .sbom and the fallback tag are not in the list.
    expect([...counter.requests].sort()).toEqual(
      [
        `GET /v2/proj/repo/signed/manifests/${image.digest}`,
        'GET /v2/proj/repo/signed/tags/list',
        `GET /v2/proj/repo/signed/referrers/${image.digest}`, // a client new to this host: asked once
        `HEAD /v2/proj/repo/signed/manifests/${tag}`,
        `GET /v2/proj/repo/signed/manifests/${signature.digest}`,
      ].sort(),
    );
  } finally {
    await counter.stop();
  }
});

test('a same-host copy mounts the blobs instead of moving bytes', async () => {
  const image = await pushImage(source.url, 'proj/repo/mounted', { seed: 'mounted', layerSizes: [256 * KIB, 256 * KIB] }, 'v1');
  const report = await copy(`${source.host}/proj/repo/mounted:v1`, `${source.host}/release/repo/mounted:v1`);
  expect(report).toMatchObject({ blobsMounted: 3, blobsCopied: 0, bytes: 0 });
  expect(await tagDigest(source.url, 'release/repo/mounted', 'v1')).toBe(image.digest);
  for (const blob of image.blobs) expect(await blobDigest(source.url, 'release/repo/mounted', blob.digest)).toBe(blob.digest);
});

test('a missing source manifest fails at once, naming the reference and the status', async () => {
  const started = Date.now();
  await expect(copy(`${source.host}/proj/repo/absent:v9`, `${target.host}/other/repo/absent:v9`)).rejects.toThrow(
    `${source.host}/proj/repo/absent:v9 not found (404)`,
  );
  expect(Date.now() - started).toBeLessThan(2000);
  expect(await tagDigest(target.url, 'other/repo/absent', 'v9')).toBeUndefined();
});
