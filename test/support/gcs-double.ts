/**
 * A TEST DOUBLE of the Cloud Storage JSON API, on 127.0.0.1, for driving the real
 * @google-cloud/storage client (no Cloud Storage emulator runs offline). It
 * covers only what this project calls:
 *   objects.get (metadata, and alt=media for checking bytes), objects.rewrite
 *   (rewriteToken rounds of `bytesPerRound`), objects.delete; the preconditions
 *   generation / sourceGeneration, ifGenerationMatch, ifGenerationNotMatch,
 *   ifSourceGenerationMatch, ifSourceGenerationNotMatch and ifMetagenerationMatch,
 *   answering 404 and 412 with the API's error body.
 * Point the client at it with `apiEndpoint: double.url` or
 * `STORAGE_EMULATOR_HOST=double.url` (paths with or without /storage/v1).
 */
import * as crypto from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { CRC32C } from '@google-cloud/storage';

/** The writable object fields the double keeps (a subset of storage#object). */
export interface ObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

export interface StoredObject extends ObjectFields {
  readonly bucket: string;
  readonly name: string;
  readonly generation: bigint;
  readonly metageneration: bigint;
  readonly data: Buffer;
  readonly updated: string;
}

export interface RecordedCall {
  readonly method: string;
  /** Path without the /storage/v1 prefix, names decoded: `/b/B/o/NAME/rewriteTo/b/B2/o/NAME2`. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
}

export interface GcsDouble {
  /** For `new Storage({ apiEndpoint })`. */
  readonly url: string;
  /** For a child process: the client honours STORAGE_EMULATOR_HOST. */
  readonly env: { STORAGE_EMULATOR_HOST: string };
  readonly calls: RecordedCall[];
  /** Bytes one rewrite call copies before answering with a rewriteToken. */
  bytesPerRound: number;
  /** Writes an object as an upload would (new generation); returns it. */
  put(bucket: string, name: string, data: Buffer | string, fields?: ObjectFields): StoredObject;
  get(bucket: string, name: string): StoredObject | undefined;
  /** Runs before each call; return a status to answer it with that error instead. */
  intercept?: (call: { method: string; path: string; query: Record<string, string> }) => number | undefined;
  stop(): Promise<void>;
}

interface RewriteInProgress {
  readonly source: StoredObject;
  readonly targetBucket: string;
  readonly targetName: string;
  readonly fields: ObjectFields | undefined;
  readonly ifGenerationMatch?: string;
  done: number;
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (what: string) => new ApiFailure(404, 'notFound', `No such object: ${what}`);
const conditionNotMet = () => new ApiFailure(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');

function resource(o: StoredObject): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation.toString(),
    metageneration: o.metageneration.toString(),
    size: String(o.data.length),
    md5Hash: crypto.createHash('md5').update(o.data).digest('base64'),
    crc32c: crc32c(o.data),
    updated: o.updated,
    timeCreated: o.updated,
    storageClass: 'STANDARD',
    ...(o.contentType !== undefined && { contentType: o.contentType }),
    ...(o.contentEncoding !== undefined && { contentEncoding: o.contentEncoding }),
    ...(o.contentDisposition !== undefined && { contentDisposition: o.contentDisposition }),
    ...(o.contentLanguage !== undefined && { contentLanguage: o.contentLanguage }),
    ...(o.cacheControl !== undefined && { cacheControl: o.cacheControl }),
    ...(o.metadata !== undefined && { metadata: o.metadata }),
  };
}

/** Object preconditions as the API applies them; `prefix` is '' or 'Source'. */
function checkPreconditions(current: StoredObject | undefined, query: Record<string, string>, prefix: '' | 'Source'): void {
  const match = query[`if${prefix}GenerationMatch`];
  const notMatch = query[`if${prefix}GenerationNotMatch`];
  const generation = current?.generation.toString() ?? '0';
  if (match !== undefined && match !== generation) throw conditionNotMet();
  if (notMatch !== undefined && notMatch === generation) throw conditionNotMet();
  const metaMatch = query[`if${prefix}MetagenerationMatch`];
  if (metaMatch !== undefined && (!current || metaMatch !== current.metageneration.toString())) throw conditionNotMet();
}

function pickFields(body: Record<string, unknown>): ObjectFields | undefined {
  const keys = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'metadata'] as const;
  const fields: Record<string, unknown> = {};
  for (const key of keys) if (body[key] !== undefined) fields[key] = body[key];
  return Object.keys(fields).length > 0 ? fields : undefined;
}

export async function startGcsDouble(): Promise<GcsDouble> {
  // Live objects, and every generation ever written (for sourceGeneration reads).
  const live = new Map<string, StoredObject>();
  const versions = new Map<string, StoredObject>();
  const rewrites = new Map<string, RewriteInProgress>();
  const calls: RecordedCall[] = [];
  // Real generations are microsecond timestamps; keep them strictly increasing.
  let lastGeneration = BigInt(Date.now()) * 1000n;
  const key = (bucket: string, name: string) => `${bucket}\u0000${name}`;
  let bytesPerRound = 1024 * 1024;

  const write = (bucket: string, name: string, data: Buffer, fields: ObjectFields = {}): StoredObject => {
    lastGeneration = BigInt(Math.max(Number(lastGeneration) + 1, Date.now() * 1000));
    const object: StoredObject = { ...fields, bucket, name, data, generation: lastGeneration, metageneration: 1n, updated: new Date().toISOString() };
    live.set(key(bucket, name), object);
    versions.set(`${key(bucket, name)}#${object.generation}`, object);
    return object;
  };

  /** The object a read names: the live one, or a given generation. */
  const read = (bucket: string, name: string, generation: string | undefined): StoredObject => {
    const found = generation === undefined ? live.get(key(bucket, name)) : versions.get(`${key(bucket, name)}#${generation}`);
    if (!found) throw notFound(`${bucket}/${name}${generation ? `#${generation}` : ''}`);
    return found;
  };

  const rewrite = (sb: string, sn: string, db: string, dn: string, query: Record<string, string>, body: Record<string, unknown>) => {
    let job: RewriteInProgress;
    if (query.rewriteToken !== undefined) {
      const existing = rewrites.get(query.rewriteToken);
      if (!existing) throw new ApiFailure(400, 'invalid', 'Invalid rewrite token.');
      job = existing;
    } else {
      const source = read(sb, sn, query.sourceGeneration);
      checkPreconditions(live.get(key(sb, sn)), query, 'Source');
      checkPreconditions(live.get(key(db, dn)), query, '');
      job = { source, targetBucket: db, targetName: dn, fields: pickFields(body), ifGenerationMatch: query.ifGenerationMatch, done: 0 };
    }
    job.done = Math.min(job.source.data.length, job.done + Math.max(1, bytesPerRound));
    const total = job.source.data.length;
    if (job.done < total) {
      const token = crypto.randomBytes(12).toString('hex');
      rewrites.delete(query.rewriteToken ?? '');
      rewrites.set(token, job);
      return { kind: 'storage#rewriteResponse', totalBytesRewritten: String(job.done), objectSize: String(total), done: false, rewriteToken: token };
    }
    rewrites.delete(query.rewriteToken ?? '');
    // The target precondition holds at commit time too: a writer in between wins.
    checkPreconditions(live.get(key(db, dn)), { ...(job.ifGenerationMatch !== undefined && { ifGenerationMatch: job.ifGenerationMatch }) }, '');
    const { contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, metadata } = job.source;
    const fields = job.fields ?? { contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, metadata };
    const written = write(db, dn, job.source.data, fields);
    return { kind: 'storage#rewriteResponse', totalBytesRewritten: String(total), objectSize: String(total), done: true, resource: resource(written) };
  };

  const route = (method: string, path: string, query: Record<string, string>, body: Buffer, res: http.ServerResponse): number => {
    const rewriteMatch = /^\/b\/([^/]+)\/o\/([^/]+)\/rewriteTo\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
    if (method === 'POST' && rewriteMatch) {
      const [sb, sn, db, dn] = rewriteMatch.slice(1).map(decodeURIComponent);
      const parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      return json(res, 200, rewrite(sb, sn, db, dn, query, parsed));
    }
    const objectMatch = /^\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
    if (objectMatch) {
      const [bucket, name] = objectMatch.slice(1).map(decodeURIComponent);
      if (method === 'GET') {
        const object = read(bucket, name, query.generation);
        checkPreconditions(object, query, '');
        if (query.alt === 'media') {
          res.writeHead(200, {
            'content-type': object.contentType ?? 'application/octet-stream',
            'x-goog-hash': `crc32c=${crc32c(object.data)},md5=${crypto.createHash('md5').update(object.data).digest('base64')}`,
            'x-goog-generation': object.generation.toString(),
          });
          res.end(object.data);
          return 200;
        }
        return json(res, 200, resource(object));
      }
      if (method === 'DELETE') {
        const object = read(bucket, name, query.generation);
        checkPreconditions(live.get(key(bucket, name)), query, '');
        if (live.get(key(bucket, name)) === object) live.delete(key(bucket, name));
        versions.delete(`${key(bucket, name)}#${object.generation}`);
        res.writeHead(204).end();
        return 204;
      }
    }
    throw new ApiFailure(501, 'notImplemented', `the test double does not implement ${method} ${path}`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://double');
      const rawPath = url.pathname.replace(/^\/storage\/v1(?=\/)/, '');
      const query = Object.fromEntries(url.searchParams);
      const method = req.method ?? 'GET';
      const path = rawPath
        .split('/')
        .map((p) => {
          try {
            return decodeURIComponent(p);
          } catch {
            return p;
          }
        })
        .join('/');
      let status: number;
      try {
        const injected = double.intercept?.({ method, path, query });
        if (injected !== undefined) throw new ApiFailure(injected, 'injected', `injected ${injected}`);
        status = route(method, rawPath, query, Buffer.concat(chunks), res);
      } catch (err) {
        const failure = err instanceof ApiFailure ? err : new ApiFailure(500, 'backendError', String(err));
        status = json(res, failure.status, {
          error: { code: failure.status, message: failure.message, errors: [{ domain: 'global', reason: failure.reason, message: failure.message }] },
        });
      }
      calls.push({ method, path, query, status });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const double: GcsDouble = {
    url,
    env: { STORAGE_EMULATOR_HOST: url },
    calls,
    get bytesPerRound() {
      return bytesPerRound;
    },
    set bytesPerRound(n: number) {
      bytesPerRound = n;
    },
    put: (bucket, name, data, fields) => write(bucket, name, Buffer.isBuffer(data) ? data : Buffer.from(data), fields),
    get: (bucket, name) => live.get(key(bucket, name)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return double;
}

/** Base64 CRC32C of the bytes, as the API reports it (the client's own implementation). */
function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

function json(res: http.ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
  return status;
}
