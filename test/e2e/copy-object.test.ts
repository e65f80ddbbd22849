/**
 * Through the real service: an Eventarc Cloud Storage CloudEvent (binary, shape
 * B) posted to it runs the copy-object route, whose @google-cloud/storage client
 * finds the JSON API test double through STORAGE_EMULATOR_HOST.
 */
import { Storage } from '@google-cloud/storage';
import { startGcsDouble, type GcsDouble } from '../support/gcs-double';
import { startService, type Service } from '../support/service';

let gcs: GcsDouble;
let service: Service;

beforeAll(async () => {
  gcs = await startGcsDouble();
  service = await startService({
    routes: JSON.stringify({
      routes: [
        {
          name: 'to-partner',
          match: { kind: 'storage.object', bucket: 'src-bucket' },
          action: 'copy-object',
          with: { bucket: 'partner-bucket', prefix: 'inbox/' },
        },
      ],
    }),
    env: gcs.env,
  });
});
afterAll(async () => {
  await service?.stop();
  await gcs?.stop();
});

function eventarcStorageEvent(object: { bucket: string; name: string; generation: bigint; size: number }) {
  return fetch(`${service.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': `${object.generation}`,
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-subject': `objects/${object.name}`,
      'ce-time': new Date().toISOString(),
    },
    body: JSON.stringify({
      kind: 'storage#object',
      bucket: object.bucket,
      name: object.name,
      generation: object.generation.toString(),
      size: String(object.size),
      contentType: 'application/pdf',
    }),
  });
}

test('a finalized object is copied under the prefix, once, and the log names source, target, generation and bytes', async () => {
  const src = gcs.put('src-bucket', 'invoices/2026-11.pdf', '%PDF-1.7 invoice', { contentType: 'application/pdf', metadata: { customer: 'c-17' } });
  const first = await eventarcStorageEvent({ ...src, size: src.data.length });
  expect(first.status).toBeGreaterThanOrEqual(200);
  expect(first.status).toBeLessThan(300);

  const client = new Storage({ apiEndpoint: gcs.url });
  const [metadata] = await client.bucket('partner-bucket').file('inbox/invoices/2026-11.pdf').getMetadata();
  const [bytes] = await client.bucket('partner-bucket').file('inbox/invoices/2026-11.pdf').download();
  expect(bytes.toString()).toBe('%PDF-1.7 invoice');
  expect(metadata.contentType).toBe('application/pdf');
  expect(metadata.metadata).toMatchObject({ customer: 'c-17' });

  const copied = await service.waitForLogs((logs) => logs.some((l) => String(l.message).startsWith('copied ')));
  expect(copied.find((l) => String(l.message).startsWith('copied '))).toMatchObject({
    copyObject: {
      source: 'gs://src-bucket/invoices/2026-11.pdf',
      target: 'gs://partner-bucket/inbox/invoices/2026-11.pdf',
      generation: src.generation.toString(),
      bytes: 16,
    },
  });

  // Eventarc redelivers the same event: acknowledged, nothing rewritten again.
  const again = await eventarcStorageEvent({ ...src, size: src.data.length });
  expect(again.status).toBeLessThan(300);
  expect(gcs.calls.filter((c) => c.path.includes('/rewriteTo/'))).toHaveLength(1);
});
