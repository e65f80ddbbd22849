import * as fs from 'fs';
import * as path from 'path';
import type { RawRequest } from '../functions/receive/raw-request';

/** The event the serving and pipeline benchmarks send: an Eventarc messagePublished, binary mode. */
export const body = JSON.stringify({
  message: {
    data: Buffer.from('{"hello":"bench"}').toString('base64'),
    attributes: { a: '1' },
    messageId: '42',
    message_id: '42',
    publishTime: '2026-11-22T14:00:00.000Z',
    publish_time: '2026-11-22T14:00:00.000Z',
  },
  subscription: 'projects/bench/subscriptions/s',
});

export const headers: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'ce-specversion': '1.0',
  'ce-id': '42',
  'ce-time': '2026-11-22T14:00:00.000Z',
  'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
  'ce-source': '//pubsub.googleapis.com/projects/bench/topics/t',
};

const ROOT = path.resolve(__dirname, '..', '..');

/** The same event as the pipeline receives it (bench/pipeline, bench/pipeline-ab): a RawRequest. */
export function pubsubRequest(): RawRequest {
  const bytes = Buffer.from(body);
  return { method: 'POST', path: '/', headers: { host: '127.0.0.1:8080', 'content-length': String(bytes.length), ...headers }, body: bytes };
}

/**
 * A Firestore document event as Eventarc delivers it by default for Firebase: binary mode,
 * `application/protobuf` data (Google's DocumentEventData-complex example, every value type).
 */
export function firestoreRequest(): RawRequest {
  const bytes = fs.readFileSync(
    path.join(ROOT, 'fixtures', 'protobuf', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-complex.binpb'),
  );
  return {
    method: 'POST',
    path: '/',
    headers: {
      host: '127.0.0.1:8080',
      'content-type': 'application/protobuf',
      'content-length': String(bytes.length),
      'ce-specversion': '1.0',
      'ce-id': '8ee5b6c3-4e0c-4e8b-9c0e-2b6f3f1f6a11',
      'ce-type': 'google.cloud.firestore.document.v1.written',
      'ce-source': '//firestore.googleapis.com/projects/project-id/databases/(default)',
      'ce-subject': 'documents/gcf-test/IH75dRdeYJKd4uuQiqch',
      'ce-time': '2020-09-29T11:32:00.000Z',
    },
    body: bytes,
  };
}
