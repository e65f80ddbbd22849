/**
 * Synthetic images pushed straight over the Distribution API with fetch (not
 * with the copier under test): deterministic incompressible layers, a config,
 * an image manifest, and a multi-platform index.
 */
import { createCipheriv, createHash } from 'crypto';
import { Readable, Transform } from 'stream';
import { createGzip } from 'zlib';

export interface Blob {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  open(): Readable;
}

export interface Pushed {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  /** Every blob the manifest (and its children) names. */
  readonly blobs: readonly Blob[];
}

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** AES-CTR over zeros: as incompressible as random bytes, but the same for the same seed, and fast. */
function* keystream(seed: string, size: number): Generator<Buffer> {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  for (let left = size; left > 0; left -= CHUNK) yield cipher.update(left >= CHUNK ? ZEROS : ZEROS.subarray(0, left));
}

export function randomLayer(seed: string, size: number): Blob {
  const hash = createHash('sha256');
  for (const chunk of keystream(seed, size)) hash.update(chunk);
  return {
    digest: `sha256:${hash.digest('hex')}`,
    size,
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    open: () => Readable.from(keystream(seed, size)),
  };
}

/** A ustar header for one regular file `name` of `size` bytes (size in octal, so up to 8 GiB). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const field = (offset: number, length: number, text: string) => h.write(text, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A tar of one incompressible file: header, content, padding to 512, two zero blocks. */
function* tarStream(seed: string, size: number): Generator<Buffer> {
  yield tarHeader('layer/data.bin', size);
  yield* keystream(seed, size);
  const pad = (512 - (size % 512)) % 512;
  yield Buffer.alloc(pad + 1024);
}

/**
 * A real image layer: tar+gzip (zlib level 1, as fast registries' clients use) over
 * incompressible content, so gzip cannot shrink it and the bytes moved are `size`
 * plus the tar and deflate framing. Its digest and size are known only once it is
 * streamed: pushGzipLayer computes them while uploading.
 */
export function gzipLayerStream(seed: string, size: number): Readable {
  return Readable.from(tarStream(seed, size)).pipe(createGzip({ level: 1 }));
}

export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Streams a gzip layer into a chunked upload (POST, PATCH, PUT ?digest=), hashing on the way: one pass. */
export async function pushGzipLayer(registryUrl: string, repository: string, seed: string, size: number): Promise<Blob> {
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload ${repository}: ${start.status}`);
  const hash = createHash('sha256');
  let length = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      length += chunk.length;
      done(null, chunk);
    },
  });
  const body = gzipLayerStream(seed, size).pipe(counted);
  const patch = await fetch(new URL(start.headers.get('location')!, registryUrl), {
    method: 'PATCH',
    headers: { 'content-type': 'application/octet-stream' },
    body: body,
    duplex: 'half',
  });
  if (patch.status !== 202) throw new Error(`PATCH blob ${repository}: ${patch.status} ${await patch.text()}`);
  const digest = `sha256:${hash.digest('hex')}`;
  const location = new URL(patch.headers.get('location')!, registryUrl);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT' });
  if (put.status !== 201) throw new Error(`PUT blob ${repository}: ${put.status} ${await put.text()}`);
  return { digest, size: length, mediaType: GZIP_LAYER, open: () => gzipLayerStream(seed, size) };
}

function bufferBlob(bytes: Buffer, mediaType: string): Blob {
  return {
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
    mediaType,
    open: () => Readable.from([bytes]),
  };
}

export async function pushBlob(registryUrl: string, repository: string, blob: Blob): Promise<void> {
  const head = await fetch(`${registryUrl}/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload ${repository}: ${start.status}`);
  const location = new URL(start.headers.get('location')!, registryUrl);
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob.open(),
    duplex: 'half',
  });
  if (put.status !== 201) throw new Error(`PUT blob ${repository}: ${put.status} ${await put.text()}`);
}

export async function pushManifest(registryUrl: string, repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  if (res.status !== 201) throw new Error(`PUT manifest ${repository}:${reference}: ${res.status} ${await res.text()}`);
}

export interface ImageSpec {
  readonly seed: string;
  readonly layerSizes: readonly number[];
  /** gzip: real tar+gzip layers (as registries hold them); absent: uncompressed raw bytes. */
  readonly compression?: 'gzip';
  readonly platform?: { os: string; architecture: string; variant?: string };
}

/** Pushes layers, config and an OCI image manifest; tags it when `tag` is given, else only by digest. */
export async function pushImage(registryUrl: string, repository: string, spec: ImageSpec, tag?: string): Promise<Pushed> {
  const layers =
    spec.compression === 'gzip'
      ? await Promise.all(spec.layerSizes.map((size, i) => pushGzipLayer(registryUrl, repository, `${spec.seed}/layer/${i}`, size)))
      : spec.layerSizes.map((size, i) => randomLayer(`${spec.seed}/layer/${i}`, size));
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  // diff_ids name the uncompressed layers; a test image needs them only to be well-formed.
  const config = bufferBlob(
    Buffer.from(JSON.stringify({ ...platform, config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, seed: spec.seed })),
    'application/vnd.oci.image.config.v1+json',
  );
  await Promise.all([config, ...(spec.compression === 'gzip' ? [] : layers)].map((b) => pushBlob(registryUrl, repository, b)));
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const describe = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: describe(config), layers: layers.map(describe) }));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await pushManifest(registryUrl, repository, tag ?? digest, bytes, mediaType);
  return { digest, mediaType, bytes, blobs: [config, ...layers] };
}

/** Pushes each platform's image by digest, then an OCI index over them (tagged when `tag` is given). */
export async function pushIndex(registryUrl: string, repository: string, images: readonly ImageSpec[], tag?: string): Promise<Pushed & { children: Pushed[] }> {
  const children = await Promise.all(images.map((spec) => pushImage(registryUrl, repository, spec)));
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const manifests = children.map((c, i) => ({
    mediaType: c.mediaType,
    digest: c.digest,
    size: c.bytes.length,
    platform: images[i].platform ?? { os: 'linux', architecture: 'amd64' },
  }));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await pushManifest(registryUrl, repository, tag ?? digest, bytes, mediaType);
  return { digest, mediaType, bytes, blobs: children.flatMap((c) => c.blobs), children };
}

/** What a user would check: the digest a tag names in a registry (undefined when absent). */
export async function tagDigest(registryUrl: string, repository: string, reference: string): Promise<string | undefined> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'HEAD',
    headers: {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
    },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`HEAD ${repository}:${reference}: ${res.status}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

/** The sha256 of a blob as the target registry serves it (bytes, not just presence). */
export async function blobDigest(registryUrl: string, repository: string, digest: string): Promise<string | undefined> {
  const res = await fetch(`${registryUrl}/v2/${repository}/blobs/${digest}`);
  if (res.status === 404) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
