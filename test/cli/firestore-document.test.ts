/**
 * `emit B --document ... --fields JSON`: a Firestore document event as Eventarc sends it
 * (binary mode, JSON data), sent over real HTTP, and one the router's parser accepts.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { emitCommand } from '../../functions/cli/emit';
import { buildDocumentEvent, firestoreValue } from '../../functions/parse/build/firestore-document';
import { parseDelivery } from '../../functions/parse/delivery';

describe('plain JSON as Firestore Value JSON', () => {
  it.each([
    ['a string', 'asd', { stringValue: 'asd' }],
    ['a whole number: an int64, as a string', 4, { integerValue: '4' }],
    ['a negative whole number', -12, { integerValue: '-12' }],
    ['a fraction: a double', 5.5, { doubleValue: 5.5 }],
    ['a boolean', true, { booleanValue: true }],
    ['null', null, { nullValue: null }],
    ['an array', [1, 'x'], { arrayValue: { values: [{ integerValue: '1' }, { stringValue: 'x' }] } }],
    [
      'a map, recursively',
      { a: { b: [false] } },
      { mapValue: { fields: { a: { mapValue: { fields: { b: { arrayValue: { values: [{ booleanValue: false }] } } } } } } } },
    ],
  ])('%s', (_t, plain, value) => {
    expect(firestoreValue(plain)).toEqual(value);
  });
});

const spec = { id: 'doc-1', time: '2026-12-01T12:00:00.000Z', project: 'shop-prod-1', database: '(default)', document: 'users/alice/orders/o1' } as const;

describe('the event', () => {
  it('an update: headers as Eventarc sends them, value and oldValue, and the changed fields as the update mask', () => {
    const raw = buildDocumentEvent({ ...spec, change: 'updated', fields: { total: 12, paid: true, note: 'x' }, oldFields: { total: 10, note: 'x' } });
    expect(raw.headers).toMatchObject({
      'content-type': 'application/json',
      'ce-type': 'google.cloud.firestore.document.v1.updated',
      'ce-source': '//firestore.googleapis.com/projects/shop-prod-1/databases/(default)',
      'ce-subject': 'documents/users/alice/orders/o1',
      'ce-database': '(default)',
      'ce-document': 'users/alice/orders/o1',
    });
    const data = JSON.parse(raw.body.toString()) as Record<string, { name?: string; fields?: unknown; fieldPaths?: string[] }>;
    expect(data['value'].name).toBe('projects/shop-prod-1/databases/(default)/documents/users/alice/orders/o1');
    expect(data['value'].fields).toEqual({ total: { integerValue: '12' }, paid: { booleanValue: true }, note: { stringValue: 'x' } });
    expect(data['oldValue'].fields).toEqual({ total: { integerValue: '10' }, note: { stringValue: 'x' } });
    expect(data['updateMask'].fieldPaths).toEqual(['total', 'paid']);
  });

  it('a creation has no oldValue; a deletion no value', () => {
    const created = JSON.parse(buildDocumentEvent({ ...spec, change: 'created', fields: { a: 1 } }).body.toString()) as object;
    expect(Object.keys(created)).toEqual(['value']);
    const deleted = JSON.parse(buildDocumentEvent({ ...spec, change: 'deleted', oldFields: { a: 1 } }).body.toString()) as object;
    expect(Object.keys(deleted)).toEqual(['oldValue']);
  });

  it('is a delivery the router parses, with the type, source and id it carries', () => {
    const event = parseDelivery(buildDocumentEvent({ ...spec, change: 'written', fields: { a: 1 } }));
    expect([event.id, event.type, event.source, event.delivery.shape]).toEqual([
      'doc-1',
      'google.cloud.firestore.document.v1.written',
      '//firestore.googleapis.com/projects/shop-prod-1/databases/(default)',
      'cloudevent-binary',
    ]);
  });

  it.each([
    ['a collection, not a document', { document: 'users' }, /is not a document path/],
    ['an empty segment', { document: 'users//alice' }, /is not a document path/],
    ['fields on a deletion', { change: 'deleted', fields: { a: 1 } }, /a deleted document has no --fields/],
    ['old fields on a creation', { change: 'created', oldFields: { a: 1 } }, /a created document has no --old-fields/],
  ] as const)('refuses %s', (_t, override, message) => {
    expect(() => buildDocumentEvent({ ...spec, change: 'written', ...override })).toThrow(message);
  });
});

describe('emit B --document', () => {
  let server: http.Server;
  let url: string;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the event built from the flags', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
    const code = await emitCommand(
      [
        'B',
        '--url',
        url,
        '--document',
        'users/alice/orders/o1',
        '--fields',
        '{"total": 12, "items": ["a"]}',
        '--change',
        'created',
        '--id',
        'e-1',
        '--project',
        'shop-prod-1',
      ],
      io,
    );
    expect([code, out]).toEqual([0, ['204']]);
    const [got] = received;
    expect(got.headers).toMatchObject({
      'ce-id': 'e-1',
      'ce-type': 'google.cloud.firestore.document.v1.created',
      'ce-subject': 'documents/users/alice/orders/o1',
    });
    expect(JSON.parse(got.body)).toMatchObject({
      value: { fields: { total: { integerValue: '12' }, items: { arrayValue: { values: [{ stringValue: 'a' }] } } } },
    });
  });

  it.each([
    [['C'], /--document builds an Eventarc Firestore event: shape B/],
    [['B', '--change', 'finalized'], /--change: a document is created, updated, deleted, written, not "finalized"/],
    [['B', '--fields', '{"total": '], /--fields is not JSON/],
    [['B', '--fields', '[1]'], /--fields must be a JSON object of fields/],
  ])('refuses %j before sending anything', async (args, message) => {
    const before = received.length;
    const io = { out: () => undefined, err: () => undefined };
    await expect(emitCommand([args[0], '--url', url, '--document', 'users/alice', ...args.slice(1)], io)).rejects.toThrow(message);
    expect(received.length).toBe(before);
  });
});
