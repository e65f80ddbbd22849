/**
 * The replicate-image action's result as proof of delivery: per target, the
 * digest read back after the tag write and the referrers copied; the route
 * options that turn referrers off or filter them. Two real docker-registry instances.
 */
import { replicateImageAction } from '../../../functions/act/replicate-image';
import { safeParse } from '../../../functions/support/schema';
import { startRegistry, type Registry } from '../../support/registry';
import { imageEvent } from '../../support/events/replicate-image';
import { replicateHandler } from '../../support/replicate-handler';
import { SIMPLE_SIGNING, attestationSpec, cosignSign, pushArtifact, pushFallbackIndex, signingKeys, verifyCosign } from '../../support/signed-images';
import { pushImage, tagDigest } from '../../support/synthetic-images';

let source: Registry;
let target: Registry;
const keys = signingKeys();

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('act-referrers-source'), startRegistry('act-referrers-target')]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

const handlerFor = (withBlock: Record<string, unknown>) => replicateHandler({ sources: [source.host], ...withBlock });

async function signedImage(repo: string, seed: string) {
  const image = await pushImage(source.url, repo, { seed, layerSizes: [8 * 1024] }, 'v1');
  const signature = await cosignSign(source.url, repo, `${source.host}/${repo}`, image.digest, keys.privateKey);
  const attestation = await pushArtifact(
    source.url,
    repo,
    attestationSpec({ mediaType: image.mediaType, digest: image.digest, size: image.bytes.length }, keys.privateKey),
  );
  await pushFallbackIndex(source.url, repo, image.digest, [
    { mediaType: attestation.mediaType, digest: attestation.digest, size: attestation.size, artifactType: attestation.artifactType },
  ]);
  return { image, signature, attestation };
}

type Copies = { copies: { target: string; digest: string; readBack: string; referrers: { digest: string; recordedAs: string; copied: boolean }[] }[] };

test('by default the result lists, per target, the digest read back and the referrers copied, in the body and the log', async () => {
  const { image, signature, attestation } = await signedImage('build/images/signed', 'act-signed');
  const { run, sink } = handlerFor({ targets: [`${target.host}/prod/images`, `${target.host}/dr/images`] });
  const result = await run(imageEvent('inserted', source.host, 'build/images/signed', { tag: 'v1', digest: image.digest }));
  const { copies } = result!.details as Copies;
  expect(copies.map((c) => c.readBack)).toEqual([image.digest, image.digest]);
  for (const c of copies) {
    expect(c.referrers.map((r) => [r.digest, r.recordedAs, r.copied]).sort()).toEqual(
      [
        [signature.digest, 'tag', true],
        [attestation.digest, 'fallback-tag', true],
      ].sort(),
    );
  }
  expect(await verifyCosign(target.url, 'dr/images/signed', image.digest, keys.publicKey)).toBe(1);
  expect(result!.summary).toContain('2 referrers copied; read back');
  const logged = sink.entries().find((e) => e.message === result!.summary) as unknown as { replication?: Copies } | undefined;
  expect(JSON.stringify(logged)).toContain(`"readBack":"${image.digest}"`);
});

test('referrers: false copies the image alone; artifactTypes filters; a bad option is refused', async () => {
  const { image } = await signedImage('build/images/plain', 'act-plain');
  const off = handlerFor({ targets: [`${target.host}/off/images`], referrers: false });
  const result = await off.run(imageEvent('inserted', source.host, 'build/images/plain', { tag: 'v1' }));
  expect((result!.details as Copies).copies[0].referrers).toEqual([]);
  expect(await tagDigest(target.url, 'off/images/plain', 'v1')).toBe(image.digest);
  expect(await tagDigest(target.url, 'off/images/plain', `sha256-${image.digest.slice(7)}.sig`)).toBeUndefined();

  const sigs = handlerFor({ targets: [`${target.host}/sigs/images`], artifactTypes: [SIMPLE_SIGNING] });
  const filtered = await sigs.run(imageEvent('inserted', source.host, 'build/images/plain', { tag: 'v1' }));
  expect((filtered!.details as Copies).copies[0].referrers.map((r) => r.recordedAs)).toEqual(['tag']);

  expect(safeParse(replicateImageAction.options, { targets: ['h.example/p/r'], referrers: 'yes' }).success).toBe(false);
  expect(safeParse(replicateImageAction.options, { targets: ['h.example/p/r'], artifactTypes: [] }).success).toBe(false);
});
