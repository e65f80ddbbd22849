/**
 * A route on a path pattern, end to end through both servers (functions-framework and lean):
 * a Storage object event and a Firestore document event (protobuf and JSON data, binary
 * CloudEvent) as Eventarc delivers them are taken by the route whose pattern their name or
 * document path fits, and the `log` line carries what the pattern captured; a path that does
 * not fit is acknowledged as unmatched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from '../support/fixtures';
import { startService, type ServerKind, type Service } from '../support/service';

const ROUTES = [
  'routes:',
  '  - name: releases',
  '    match: { kind: storage.object, bucket: artifacts, name: { pathPattern: "releases/{version}/{file=**}" } }',
  '    action: log',
  '    with: { severity: NOTICE }',
  '  - name: orders',
  '    match: { kind: firestore.document, document: { pathPattern: "users/{uid}/orders/{orderId}" } }',
  '    action: log',
  '    with: { severity: NOTICE }',
  '',
].join('\n');

// The fixtures' own encoder (protobufjs over the vendored published schema), not the decoder under test.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encodeDocumentEventJson } = require('../../fixtures/make-protobuf') as { encodeDocumentEventJson: (json: unknown) => Buffer };
/** Google's DocumentEventData-simple example, moved to `document` (a path below documents/). */
const googleExample = fs.readFileSync(
  path.join(FIXTURES, 'real', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json'),
  'utf8',
);
const documentEventData = (document: string) =>
  JSON.parse(
    googleExample.replaceAll(
      'projects/project-id/databases/(default)/documents/gcf-test/2Vm2mI1d0wIaK2Waj5to',
      `projects/project-id/databases/(default)/documents/${document}`,
    ),
  ) as unknown;

describe.each<ServerKind>(['framework', 'lean'])('a path-pattern route on the %s server', (server) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({ server, routes: ROUTES });
  });
  afterAll(async () => {
    await service?.stop();
  });

  const finalized = (id: string, name: string) =>
    fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-source': '//storage.googleapis.com/projects/_/buckets/artifacts',
        'ce-subject': `objects/${name}`,
        'ce-time': '2026-12-01T12:00:00Z',
      },
      body: JSON.stringify({ bucket: 'artifacts', name, size: '42', contentType: 'application/gzip' }),
      signal: AbortSignal.timeout(5000),
    });

  it('logs the event with the captured parameters', async () => {
    const res = await finalized(`${server}-match`, 'releases/v2.1.0/linux/amd64/app.tar.gz');
    expect(res.status).toBe(204);
    const logs = await service.waitForLogs((l) => l.some((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-match`));
    const line = logs.find((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-match`)!;
    expect(line['severity']).toBe('NOTICE');
    expect(line['params']).toEqual({ version: 'v2.1.0', file: 'linux/amd64/app.tar.gz' });
  });

  it('acknowledges a name outside the pattern as unmatched', async () => {
    const res = await finalized(`${server}-miss`, 'drafts/v2.1.0/app.tar.gz');
    expect(res.status).toBe(204);
    const logs = await service.waitForLogs((l) =>
      l.some((e) => String(e['message']).startsWith('no route matched') && JSON.stringify(e).includes(`${server}-miss`)),
    );
    expect(logs.some((e) => (e['event'] as { id?: string } | undefined)?.id === `${server}-miss`)).toBe(false);
  });
  const documentUpdated = (id: string, document: string, contentType: 'application/protobuf' | 'application/json') =>
    fetch(service.url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-type': 'google.cloud.firestore.document.v1.updated',
        'ce-source': '//firestore.googleapis.com/projects/project-id/databases/(default)',
        'ce-subject': `documents/${document}`,
        'ce-time': '2026-12-01T12:00:00Z',
        'ce-dataschema': 'https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto',
        'ce-database': '(default)',
        'ce-namespace': '(default)',
        'ce-document': document,
      },
      body: contentType === 'application/protobuf' ? encodeDocumentEventJson(documentEventData(document)) : JSON.stringify(documentEventData(document)),
      signal: AbortSignal.timeout(5000),
    });

  it.each(['application/protobuf', 'application/json'] as const)(
    'routes a Firestore document (%s) on its path pattern, the parameters in the log line',
    async (contentType) => {
      const id = `${server}-${contentType}-order`;
      const res = await documentUpdated(id, 'users/alice/orders/o-17', contentType);
      expect(res.status).toBe(204);
      const logs = await service.waitForLogs((l) => l.some((e) => (e['event'] as { id?: string } | undefined)?.id === id));
      const line = logs.find((e) => (e['event'] as { id?: string } | undefined)?.id === id)!;
      expect(line['severity']).toBe('NOTICE');
      expect(line['message']).toBe('Firestore document updated: (default)/users/alice/orders/o-17');
      expect(line['params']).toEqual({ uid: 'alice', orderId: 'o-17' });
      // The update mask comes from the decoded data, the same from protobuf and JSON.
      expect(line['event']).toMatchObject({ change: 'updated', database: '(default)', document: 'users/alice/orders/o-17', updateMask: ['count'] });
    },
  );

  it.each(['application/protobuf', 'application/json'] as const)(
    'acknowledges a Firestore document (%s) outside the pattern as unmatched',
    async (contentType) => {
      const id = `${server}-${contentType}-cart`;
      const res = await documentUpdated(id, 'users/alice/carts/c-1', contentType);
      expect(res.status).toBe(204);
      const logs = await service.waitForLogs((l) => l.some((e) => String(e['message']).startsWith('no route matched') && JSON.stringify(e).includes(id)));
      expect(logs.some((e) => (e['event'] as { id?: string } | undefined)?.id === id)).toBe(false);
    },
  );
});
