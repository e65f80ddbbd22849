/**
 * A small OCI 1.1 registry on 127.0.0.1 that serves the referrers API, for the
 * side of referrer copies docker-registry 2.8 cannot show (it has no referrers
 * API). A real HTTP server holding blobs and manifests in memory: monolithic
 * and chunked uploads, manifests by tag and digest, `OCI-Subject` on a PUT with
 * a `subject`, `GET /v2/<repo>/referrers/<digest>[?artifactType=]`, and tag lists in
 * pages (`n`, `last`, `Link`), which docker-registry 2.8 does not page.
 * `afterTagWrite` lets a test play a concurrent writer moving a tag.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

interface StoredManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

interface Repo {
  readonly blobs: Map<string, Buffer>;
  readonly manifests: Map<string, StoredManifest>;
  readonly tags: Map<string, string>;
  readonly uploads: Map<string, Buffer[]>;
}

export interface ReferrersRegistry {
  readonly host: string;
  readonly url: string;
  /** Every request as `METHOD /path`, in order. */
  readonly requests: string[];
  /** Called after a manifest PUT by tag; may move tags (a concurrent writer). */
  afterTagWrite?: (repository: string, tag: string, registry: ReferrersRegistry) => void;
  /** Stores a manifest by digest and tags it, as another client would (no HTTP). */
  put(repository: string, reference: string, bytes: Buffer, mediaType: string): string;
  stop(): Promise<void>;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ROUTE = /^\/v2\/(.+?)\/(manifests|blobs|referrers|tags)\/(.*)$/;

export async function startReferrersRegistry(): Promise<ReferrersRegistry> {
  const repos = new Map<string, Repo>();
  const repo = (name: string): Repo => {
    let r = repos.get(name);
    if (!r) repos.set(name, (r = { blobs: new Map(), manifests: new Map(), tags: new Map(), uploads: new Map() }));
    return r;
  };
  let nextUpload = 0;
  const requests: string[] = [];

  const put = (name: string, reference: string, bytes: Buffer, mediaType: string): string => {
    const r = repo(name);
    const digest = sha256(bytes);
    r.manifests.set(digest, { bytes, mediaType });
    if (!reference.includes(':')) r.tags.set(reference, digest);
    return digest;
  };

  const referrers = (r: Repo, subject: string, artifactType: string | null) =>
    [...r.manifests.entries()].flatMap(([digest, m]) => {
      const body = JSON.parse(m.bytes.toString('utf8')) as {
        subject?: { digest?: string };
        artifactType?: string;
        config?: { mediaType?: string };
        annotations?: Record<string, string>;
      };
      if (body.subject?.digest !== subject) return [];
      const type = body.artifactType ?? body.config?.mediaType;
      if (artifactType && type !== artifactType) return [];
      return [
        {
          mediaType: m.mediaType,
          digest,
          size: m.bytes.length,
          ...(type && { artifactType: type }),
          ...(body.annotations && { annotations: body.annotations }),
        },
      ];
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://registry');
      requests.push(`${req.method} ${url.pathname}`);
      const body = Buffer.concat(chunks);
      const send = (status: number, headers: Record<string, string> = {}, payload?: Buffer) => {
        res.writeHead(status, { ...headers, 'content-length': String(payload?.length ?? 0) });
        res.end(req.method === 'HEAD' ? undefined : payload);
      };
      const error = (status: number, code: string) => send(status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ errors: [{ code }] })));
      if (url.pathname === '/v2/' || url.pathname === '/v2') return send(200);
      const m = ROUTE.exec(url.pathname);
      if (!m) return error(404, 'NOT_FOUND');
      const [, name, kind, rest] = m;
      const r = repo(name);
      if (kind === 'blobs' && rest.startsWith('uploads/')) {
        const id = rest.slice('uploads/'.length);
        if (req.method === 'POST') {
          const upload = String(nextUpload++);
          r.uploads.set(upload, []);
          return send(202, { location: `/v2/${name}/blobs/uploads/${upload}` });
        }
        const parts = r.uploads.get(id);
        if (!parts) return error(404, 'BLOB_UPLOAD_UNKNOWN');
        parts.push(body);
        if (req.method === 'PATCH') return send(202, { location: `/v2/${name}/blobs/uploads/${id}` });
        const digest = url.searchParams.get('digest') ?? '';
        const bytes = Buffer.concat(parts);
        if (sha256(bytes) !== digest) return error(400, 'DIGEST_INVALID');
        r.uploads.delete(id);
        r.blobs.set(digest, bytes);
        return send(201, { 'docker-content-digest': digest, location: `/v2/${name}/blobs/${digest}` });
      }
      if (kind === 'blobs') {
        const blob = r.blobs.get(rest);
        if (!blob) return error(404, 'BLOB_UNKNOWN');
        return send(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': rest }, blob);
      }
      if (kind === 'tags') {
        // Paged as the distribution spec says: lexical order, `n` at most, `last` to go on, `Link` to the next page.
        const n = Number(url.searchParams.get('n') ?? Infinity);
        const last = url.searchParams.get('last');
        const after = [...r.tags.keys()].sort().filter((t) => last === null || t > last);
        const page = after.slice(0, n);
        const more: Record<string, string> =
          after.length > page.length ? { link: `</v2/${name}/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"` } : {};
        return send(200, { 'content-type': 'application/json', ...more }, Buffer.from(JSON.stringify({ name, tags: page })));
      }
      if (kind === 'referrers') {
        const index = {
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: referrers(r, rest, url.searchParams.get('artifactType')),
        };
        return send(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }, Buffer.from(JSON.stringify(index)));
      }
      // manifests
      if (req.method === 'PUT') {
        const mediaType = String(req.headers['content-type'] ?? '');
        const parsed = JSON.parse(body.toString('utf8')) as { subject?: { digest?: string }; config?: { digest: string }; layers?: { digest: string }[] };
        for (const b of [parsed.config, ...(parsed.layers ?? [])]) if (b && !r.blobs.has(b.digest)) return error(400, 'MANIFEST_BLOB_UNKNOWN');
        const digest = put(name, rest, body, mediaType);
        if (rest.includes(':') && rest !== digest) return error(400, 'DIGEST_INVALID');
        const headers: Record<string, string> = { 'docker-content-digest': digest, location: `/v2/${name}/manifests/${digest}` };
        if (parsed.subject?.digest) headers['oci-subject'] = parsed.subject.digest;
        send(201, headers);
        if (!rest.includes(':')) registry.afterTagWrite?.(name, rest, registry);
        return;
      }
      const digest = rest.includes(':') ? rest : r.tags.get(rest);
      const manifest = digest ? r.manifests.get(digest) : undefined;
      if (!digest || !manifest) return error(404, 'MANIFEST_UNKNOWN');
      if (req.method === 'DELETE') {
        for (const [t, d] of r.tags) if (t === rest || d === digest) r.tags.delete(t);
        if (rest.includes(':')) r.manifests.delete(digest);
        return send(202);
      }
      return send(200, { 'content-type': manifest.mediaType, 'docker-content-digest': digest }, manifest.bytes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const registry: ReferrersRegistry = {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    put,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return registry;
}
