/**
 * Manifests and indexes, and the platform filter.
 */
import { filteredIndex, parseManifest, parsePlatform, selectPlatforms } from '../../functions/registry/manifest';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('manifests and indexes are told apart, and a platform filter keeps only matching children', () => {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'b'.repeat(64)}`,
          size: 1,
          platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
        },
      ],
    }),
  );
  const parsed = parseManifest(index, 'application/vnd.oci.image.index.v1+json', 'x');
  expect(parsed.kind).toBe('index');
  if (parsed.kind !== 'index') return;
  expect(selectPlatforms(parsed.manifests, [parsePlatform('linux/arm')]).map((m) => m.digest)).toEqual([`sha256:${'b'.repeat(64)}`]);
  expect(selectPlatforms(parsed.manifests, [parsePlatform('linux/arm/v6')])).toEqual([]);
  expect(JSON.parse(filteredIndex(index, [parsed.manifests[0]]).toString()).manifests).toHaveLength(1);
  expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'x')).toThrow(
    'schema 1 is not supported',
  );
});
