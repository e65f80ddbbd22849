/**
 * copy-object through the real @google-cloud/storage client against the local
 * test double of the JSON API (test/support/gcs-double.ts): no Cloud Storage
 * emulator runs offline. Each test checks the target as a user would, by reading
 * it back through the client.
 */
import * as crypto from 'crypto';
import { Storage } from '@google-cloud/storage';
import type { Handler, HandlerContext } from '../../../functions/act/action';
import { PermanentError, RetryableError } from '../../../functions/act/errors';
import { copyObjectAction } from '../../../functions/act/copy-object';
import { createLogger, memorySink } from '../../../functions/support/logger';
import { startGcsDouble, type GcsDouble } from '../../support/gcs-double';
import { storageEvent } from '../../support/events/copy-object';
import { parse } from '../../../functions/support/schema';

let gcs: GcsDouble;
let client: Storage;

beforeEach(async () => {
  gcs = await startGcsDouble();
  client = new Storage({ apiEndpoint: gcs.url, retryOptions: { autoRetry: false } });
});
afterEach(() => gcs.stop());

let logged: ReturnType<typeof memorySink>;
const ctx = (): HandlerContext => {
  logged = memorySink();
  return { log: createLogger(logged), signal: new AbortController().signal, route: 'copy', params: {} };
};

function copier(options: Record<string, unknown>, environment: { storageEmulatorHost?: string } = { storageEmulatorHost: gcs.url }): Handler {
  return copyObjectAction.create(parse(copyObjectAction.options, options), { ...environment, variables: {}, log: createLogger(memorySink()) });
}

async function readBack(bucket: string, name: string) {
  const file = client.bucket(bucket).file(name);
  const [metadata] = await file.getMetadata();
  const [bytes] = await file.download();
  return { metadata, bytes };
}

const rewriteCalls = () => gcs.calls.filter((c) => c.method === 'POST' && c.path.includes('/rewriteTo/'));

describe('copying a finalized object', () => {
  test('the target gets the bytes, content type and custom metadata; the result names source, target, generation and bytes', async () => {
    const src = gcs.put('src-bucket', 'reports/2026/q4.csv', 'a,b\n1,2\n', {
      contentType: 'text/csv',
      cacheControl: 'no-cache',
      metadata: { owner: 'finance' },
    });
    const result = await copier({ bucket: 'dst-bucket' })(storageEvent('finalized', src), ctx());

    const { metadata, bytes } = await readBack('dst-bucket', 'reports/2026/q4.csv');
    expect(bytes.toString()).toBe('a,b\n1,2\n');
    expect(metadata.contentType).toBe('text/csv');
    expect(metadata.cacheControl).toBe('no-cache');
    expect(metadata.metadata).toEqual({
      owner: 'finance',
      'copied-from': 'gs://src-bucket/reports/2026/q4.csv',
      'copied-from-generation': src.generation.toString(),
    });
    expect(logged.entries()).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        message: `copied gs://src-bucket/reports/2026/q4.csv#${src.generation} to gs://dst-bucket/reports/2026/q4.csv (8 bytes)`,
        copyObject: expect.objectContaining({
          source: 'gs://src-bucket/reports/2026/q4.csv',
          target: 'gs://dst-bucket/reports/2026/q4.csv',
          generation: src.generation.toString(),
          bytes: 8,
        }),
      }),
    ]);
    expect(result).toMatchObject({
      summary: `copied gs://src-bucket/reports/2026/q4.csv#${src.generation} to gs://dst-bucket/reports/2026/q4.csv (8 bytes)`,
      details: {
        source: 'gs://src-bucket/reports/2026/q4.csv',
        target: 'gs://dst-bucket/reports/2026/q4.csv',
        generation: src.generation.toString(),
        bytes: 8,
      },
    });
  });

  test('prefix and name template place the copy', async () => {
    const src = gcs.put('src-bucket', 'in/a b/ünï.txt', 'x');
    await copier({ bucket: 'dst-bucket', prefix: 'from-{bucket}/', name: '{dirname}/{generation}-{basename}' })(storageEvent('finalized', src), ctx());
    const { bytes } = await readBack('dst-bucket', `from-{bucket}/in/a b/${src.generation}-ünï.txt`);
    expect(bytes.toString()).toBe('x');
  });

  test('a large object is copied through several rewrite calls with the same preconditions, never downloaded', async () => {
    const data = crypto.randomBytes(2 * 1024 * 1024 + 5);
    const src = gcs.put('src-bucket', 'big.bin', data, { contentType: 'application/octet-stream' });
    gcs.bytesPerRound = 256 * 1024;
    const result = await copier({ bucket: 'dst-bucket' })(storageEvent('finalized', src), ctx());

    const calls = rewriteCalls();
    expect(calls).toHaveLength(9);
    expect(calls.slice(1).every((c) => c.query.rewriteToken)).toBe(true);
    for (const call of calls) {
      expect(call.query).toMatchObject({
        ifSourceGenerationMatch: src.generation.toString(),
        sourceGeneration: src.generation.toString(),
        ifGenerationMatch: '0',
      });
    }
    expect(gcs.calls.some((c) => c.query.alt === 'media')).toBe(false);
    expect(result).toMatchObject({ details: { bytes: data.length, rounds: 9 } });
    const { bytes } = await readBack('dst-bucket', 'big.bin');
    expect(bytes.equals(data)).toBe(true);
  });

  test('the client finds the test double through STORAGE_EMULATOR_HOST as well', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'via env');
    process.env.STORAGE_EMULATOR_HOST = gcs.url;
    try {
      await copier({ bucket: 'dst-bucket' }, {})(storageEvent('finalized', src), ctx());
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    expect((await readBack('dst-bucket', 'a.txt')).bytes.toString()).toBe('via env');
  });

  test('an event without a generation (payload NONE) copies the live generation', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'live');
    const result = await copier({ bucket: 'dst-bucket' })(storageEvent('finalized', { bucket: 'src-bucket', name: 'a.txt' }), ctx());
    expect(result).toMatchObject({ details: { generation: src.generation.toString(), bytes: 4 } });
  });
});

describe('never overwriting a newer copy', () => {
  test('a redelivered event changes nothing', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    const copy = copier({ bucket: 'dst-bucket' });
    await copy(storageEvent('finalized', src), ctx());
    const first = gcs.get('dst-bucket', 'a.txt')!.generation;
    const again = await copy(storageEvent('finalized', src), ctx());
    expect(again).toMatchObject({ details: { skipped: `target already holds generation ${src.generation}` } });
    expect(gcs.get('dst-bucket', 'a.txt')!.generation).toBe(first);
    expect(rewriteCalls()).toHaveLength(1);
  });

  test('a late event for an older generation, after the newer one was copied, leaves the newer copy', async () => {
    const v1 = gcs.put('src-bucket', 'a.txt', 'v1');
    const v2 = gcs.put('src-bucket', 'a.txt', 'v2');
    const copy = copier({ bucket: 'dst-bucket' });
    await copy(storageEvent('finalized', v2), ctx());
    const late = await copy(storageEvent('finalized', v1), ctx());
    expect(late).toMatchObject({ summary: expect.stringContaining('skipped') });
    expect((await readBack('dst-bucket', 'a.txt')).bytes.toString()).toBe('v2');
  });

  test('an event for a generation already overwritten at the source is skipped; the newer event copies', async () => {
    const v1 = gcs.put('src-bucket', 'a.txt', 'v1');
    const v2 = gcs.put('src-bucket', 'a.txt', 'v2');
    const copy = copier({ bucket: 'dst-bucket' });
    expect(await copy(storageEvent('finalized', v1), ctx())).toMatchObject({ details: { skipped: expect.stringContaining('no longer the live object') } });
    expect(gcs.get('dst-bucket', 'a.txt')).toBeUndefined();
    await copy(storageEvent('finalized', v2), ctx());
    expect((await readBack('dst-bucket', 'a.txt')).bytes.toString()).toBe('v2');
  });

  test('a newer copy landing during our rewrite wins (412, then re-checked and skipped)', async () => {
    const v1 = gcs.put('src-bucket', 'a.txt', 'v1');
    let raced = false;
    gcs.intercept = (call) => {
      if (!raced && call.method === 'POST' && call.path.includes('/rewriteTo/')) {
        raced = true;
        gcs.put('dst-bucket', 'a.txt', 'newer', { metadata: { 'copied-from-generation': String(v1.generation + 1n) } });
      }
      return undefined;
    };
    const result = await copier({ bucket: 'dst-bucket' })(storageEvent('finalized', v1), ctx());
    expect(rewriteCalls().map((c) => c.status)).toEqual([412]);
    expect(result).toMatchObject({ details: { skipped: expect.stringContaining('already holds') } });
    expect((await readBack('dst-bucket', 'a.txt')).bytes.toString()).toBe('newer');
  });
});

describe('deleted sources', () => {
  test('off by default: the copy stays', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    const copy = copier({ bucket: 'dst-bucket' });
    await copy(storageEvent('finalized', src), ctx());
    await client.bucket('src-bucket').file('a.txt').delete();
    const result = await copy(storageEvent('deleted', src), ctx());
    expect(result).toMatchObject({ summary: 'ignored: deleted gs://src-bucket/a.txt' });
    expect(gcs.get('dst-bucket', 'a.txt')).toBeDefined();
  });

  test('with deleteWithSource the copy of the deleted generation is deleted', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    const copy = copier({ bucket: 'dst-bucket', deleteWithSource: true });
    await copy(storageEvent('finalized', src), ctx());
    await client.bucket('src-bucket').file('a.txt').delete();
    const result = await copy(storageEvent('deleted', src), ctx());
    expect(result).toMatchObject({ details: { deleted: true } });
    await expect(client.bucket('dst-bucket').file('a.txt').exists()).resolves.toEqual([false]);
  });

  test('an overwrite (deleted event for the old generation) never deletes the copy', async () => {
    const v1 = gcs.put('src-bucket', 'a.txt', 'v1');
    const copy = copier({ bucket: 'dst-bucket', deleteWithSource: true });
    await copy(storageEvent('finalized', v1), ctx());
    gcs.put('src-bucket', 'a.txt', 'v2');
    const result = await copy(storageEvent('deleted', v1), ctx());
    expect(result).toMatchObject({ summary: expect.stringContaining('overwritten, not deleted') });
    expect((await readBack('dst-bucket', 'a.txt')).bytes.toString()).toBe('v1');
  });
});

describe('failures', () => {
  test('403 from Cloud Storage is permanent', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    gcs.intercept = (call) => (call.path.includes('/rewriteTo/') ? 403 : undefined);
    await expect(copier({ bucket: 'dst-bucket' })(storageEvent('finalized', src), ctx())).rejects.toBeInstanceOf(PermanentError);
  });

  test("Cloud Storage unavailable (after the client's own retries) means redeliver", async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    gcs.intercept = () => 503;
    await expect(copier({ bucket: 'dst-bucket' })(storageEvent('finalized', src), ctx())).rejects.toBeInstanceOf(RetryableError);
    expect(gcs.calls.length).toBe(3);
  });

  test('a route that would copy an object onto itself is refused', async () => {
    const src = gcs.put('same', 'a.txt', 'v1');
    await expect(copier({ bucket: 'same' })(storageEvent('finalized', src), ctx())).rejects.toThrow(/onto itself/);
  });

  test('archived and metadata updates and non-storage events are ignored', async () => {
    const src = gcs.put('src-bucket', 'a.txt', 'v1');
    await expect(copier({ bucket: 'dst-bucket' })(storageEvent('archived', src), ctx())).resolves.toMatchObject({ summary: expect.stringMatching(/^ignored/) });
    expect(gcs.calls).toHaveLength(0);
  });
});
