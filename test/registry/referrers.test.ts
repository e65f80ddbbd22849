/**
 * The pure parts of referrer copies: tag names, artifact types, the filter, and
 * the merge into a target's fallback index that never drops an entry.
 */
import { parseManifest } from '../../functions/registry/manifest';
import { artifactTypeAllowed, artifactTypeOf, cosignTags, fallbackTag, mergedReferrersIndex, referrerDescriptor } from '../../functions/registry/referrers';

const HEX = 'a'.repeat(64);
const D = `sha256:${HEX}`;
const d = (c: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${c.repeat(64)}`, size: 10 });
const manifest = (body: Record<string, unknown>) =>
  parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', ...body })), undefined, 'test');

test.each([
  [D, `sha256-${HEX}`],
  [`sha512:${'b'.repeat(128)}`, `sha512-${'b'.repeat(64)}`], // the spec cuts the reference to 64 characters
])('fallback tag of %s', (digest, tag) => {
  expect(fallbackTag(digest)).toBe(tag);
});

test('cosign tags name the digest with .sig, .att and .sbom; an invalid digest is refused', () => {
  expect(cosignTags(D)).toEqual([`sha256-${HEX}.sig`, `sha256-${HEX}.att`, `sha256-${HEX}.sbom`]);
  expect(() => cosignTags('sha256:../../x')).toThrow('invalid digest');
});

const config = (mediaType: string) => ({ mediaType, digest: `sha256:${'c'.repeat(64)}`, size: 2 });
test.each([
  ['artifactType wins', { artifactType: 'application/spdx+json', config: config('application/vnd.oci.empty.v1+json'), layers: [] }, 'application/spdx+json'],
  [
    'a specific config type (Helm)',
    { config: config('application/vnd.cncf.helm.config.v1+json'), layers: [d('1')] },
    'application/vnd.cncf.helm.config.v1+json',
  ],
  [
    'cosign: generic config, the layer type',
    { config: config('application/vnd.oci.image.config.v1+json'), layers: [{ ...d('1'), mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' }] },
    'application/vnd.dev.cosign.simplesigning.v1+json',
  ],
  [
    'an image without layers: its config type',
    { config: config('application/vnd.oci.image.config.v1+json'), layers: [] },
    'application/vnd.oci.image.config.v1+json',
  ],
])('artifact type: %s', (_what, body, type) => {
  expect(artifactTypeOf(manifest(body))).toBe(type);
});

test.each([
  [undefined, 'x', true],
  [[], 'x', true],
  [['x'], 'x', true],
  [['x'], 'y', false],
  [['x'], undefined, false],
])('filter %j keeps %s: %s', (filter, type, kept) => {
  expect(artifactTypeAllowed(filter, type)).toBe(kept);
});

test("a referrer descriptor carries the manifest's artifactType and annotations, its exact size", () => {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 't',
      config: config('application/vnd.oci.empty.v1+json'),
      layers: [],
      annotations: { a: 'b' },
    }),
  );
  expect(referrerDescriptor(parseManifest(bytes, undefined, 'x'), bytes, D)).toEqual({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: D,
    size: bytes.length,
    artifactType: 't',
    annotations: { a: 'b' },
  });
});

test('merging keeps every entry already there, appends only missing digests once, and writes nothing when none is missing', () => {
  const existing = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...d('1'), annotations: { theirs: 'yes' } }],
      annotations: { kept: 'too' },
    }),
  );
  const merged = JSON.parse(mergedReferrersIndex(existing, [d('1'), d('2'), d('2')], 'x')!.toString('utf8'));
  expect(merged.manifests).toEqual([{ ...d('1'), annotations: { theirs: 'yes' } }, d('2')]);
  expect(merged.annotations).toEqual({ kept: 'too' });
  expect(mergedReferrersIndex(existing, [d('1')], 'x')).toBeUndefined();
  expect(JSON.parse(mergedReferrersIndex(undefined, [d('3')], 'x')!.toString('utf8')).manifests).toEqual([d('3')]);
});

test.each([
  ['not JSON', 'nope'],
  ['not an index', JSON.stringify({ schemaVersion: 2, layers: [] })],
])('a target tag that is %s is not overwritten', (_what, text) => {
  expect(() => mergedReferrersIndex(Buffer.from(text), [d('1')], 'T')).toThrow('is not overwritten');
});
