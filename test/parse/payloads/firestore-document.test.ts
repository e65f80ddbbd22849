/**
 * Firestore document events: every DocumentEventData fixture of Google's, as JSON
 * and as protobuf (encoded from that JSON with the published schema by
 * fixtures/make-protobuf.js, not by the decoder's descriptor), gives the event
 * written out below, and the same event both ways; the conformance pairs for
 * 1st-gen events hold; hostile data is a PayloadError (permanent), never a crash.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { PayloadError } from '../../../functions/parse/errors';
import { parseDelivery } from '../../../functions/parse/delivery';
import {
  firestoreCloudEventOfBackground,
  firestoreDocumentEventOf,
  isFirestoreDocumentType,
  type FirestoreDocumentChange,
  type FirestoreValue,
} from '../../../functions/parse/payloads/firestore-document';
import type { PayloadInput } from '../../../functions/parse/payloads/payload-input';
import { FIXTURES, readReal } from '../../support/fixtures';

// The fixtures' own encoder (plain JS, protobufjs's .proto parser over the vendored schema).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { encodeDocumentEventJson, SOURCES } = require('../../../fixtures/make-protobuf') as {
  encodeDocumentEventJson: (json: unknown) => Buffer;
  SOURCES: string[];
};

const WRITTEN = 'google.cloud.firestore.document.v1.written';
const SOURCE = '//firestore.googleapis.com/projects/project-id/databases/(default)';

const input = (data: Buffer, dataContentType: string | undefined, more: Partial<PayloadInput> = {}): PayloadInput => ({
  type: WRITTEN,
  source: SOURCE,
  ...(dataContentType !== undefined && { dataContentType }),
  data,
  extensions: {},
  ...more,
});
const asJson = (json: unknown, more: Partial<PayloadInput> = {}) =>
  firestoreDocumentEventOf(input(Buffer.from(JSON.stringify(json)), 'application/json', more));
const asProtobuf = (json: unknown, more: Partial<PayloadInput> = {}) =>
  firestoreDocumentEventOf(input(encodeDocumentEventJson(json), 'application/protobuf', more));

const rejection = (decode: () => unknown): PayloadError => {
  try {
    decode();
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  throw new Error('decoded without a PayloadError');
};

// What each of Google's two documents says, written out by hand from the JSON.
const SIMPLE_NAME = 'projects/project-id/databases/(default)/documents/gcf-test/2Vm2mI1d0wIaK2Waj5to';
const COMPLEX_NAME = 'projects/project-id/databases/(default)/documents/gcf-test/IH75dRdeYJKd4uuQiqch';
const EXPECTED: Record<string, FirestoreDocumentChange> = {
  simple: {
    kind: 'firestore.document',
    change: 'written',
    project: 'project-id',
    database: '(default)',
    document: 'gcf-test/2Vm2mI1d0wIaK2Waj5to',
    value: {
      name: SIMPLE_NAME,
      createTime: '2020-04-23T09:58:53.211035Z',
      updateTime: '2020-04-23T12:00:27.247187Z',
      fields: { 'another test': 'asd', count: 4n, foo: 'bar' },
    },
    oldValue: {
      name: SIMPLE_NAME,
      createTime: '2020-04-23T09:58:53.211035Z',
      updateTime: '2020-04-23T12:00:27.247187Z',
      fields: { 'another test': 'asd', count: 3n, foo: 'bar' },
    },
    updateMask: ['count'],
  },
  complex: {
    kind: 'firestore.document',
    change: 'written',
    project: 'project-id',
    database: '(default)',
    document: 'gcf-test/IH75dRdeYJKd4uuQiqch',
    value: {
      name: COMPLEX_NAME,
      createTime: '2020-04-23T14:25:05.349632Z',
      updateTime: '2020-04-23T14:25:05.349632Z',
      fields: {
        arrayValue: [1n, 2n],
        booleanValue: true,
        doubleValue: 5.5,
        geoPointValue: { latitude: 51.4543, longitude: -0.9781 },
        intValue: 50n,
        mapValue: { field1: 'x', field2: ['x', 1n] },
        nullValue: null,
        referenceValue: 'foo/bar/baz/qux',
        stringValue: 'text',
        timestampValue: '2020-04-23T14:23:53.241Z',
      },
    },
    // Google sends `"oldValue": {}` for a document that did not exist before: no old value.
    updateMask: [],
  },
};

describe.each(SOURCES)('fixture %s', (source) => {
  const variant = /DocumentEventData-(\w+)\.json$/.exec(source)![1];
  const json = fs.readFileSync(path.join(FIXTURES, source));
  const protobuf = fs.readFileSync(path.join(FIXTURES, 'protobuf', source.replace(/^real\//, '').replace(/\.json$/, '.binpb')));

  it('as application/json gives the document Google describes', () => {
    expect(firestoreDocumentEventOf(input(json, 'application/json'))).toEqual(EXPECTED[variant]);
  });

  it('as application/protobuf gives the same event', () => {
    expect(firestoreDocumentEventOf(input(protobuf, 'application/protobuf'))).toEqual(EXPECTED[variant]);
  });

  it('the committed protobuf file is what the encoder makes of the JSON today', () => {
    expect(encodeDocumentEventJson(JSON.parse(json.toString('utf8'))).equals(protobuf)).toBe(true);
  });

  it('without a content type, either form is recognised', () => {
    expect(firestoreDocumentEventOf(input(json, undefined))).toEqual(EXPECTED[variant]);
    expect(firestoreDocumentEventOf(input(protobuf, undefined))).toEqual(EXPECTED[variant]);
  });
});

describe('event types and attributes', () => {
  const simple = readReal('google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json');

  it.each([
    ['created', false],
    ['updated', false],
    ['deleted', false],
    ['written', false],
    ['created', true],
    ['updated', true],
    ['deleted', true],
    ['written', true],
  ])('google.cloud.firestore.document.v1.%s (withAuthContext: %s)', (change, withAuth) => {
    const type = `google.cloud.firestore.document.v1.${change}${withAuth ? '.withAuthContext' : ''}`;
    expect(isFirestoreDocumentType(type)).toBe(true);
    const extensions: Record<string, string> = withAuth ? { authtype: 'service_account', authid: 'robot@p.iam.gserviceaccount.com' } : {};
    const event = asJson(simple, { type, extensions });
    expect(event.change).toBe(change);
    expect(event.auth).toEqual(withAuth ? { type: 'service_account', id: 'robot@p.iam.gserviceaccount.com' } : undefined);
  });

  it('an auth-context event without authtype is refused; without authid it has none', () => {
    const type = 'google.cloud.firestore.document.v1.created.withAuthContext';
    expect(rejection(() => asJson(simple, { type })).path).toBe('authtype');
    expect(asJson(simple, { type, extensions: { authtype: 'unauthenticated' } }).auth).toEqual({ type: 'unauthenticated' });
  });

  it('Eventarc attributes name the document first, then the subject, then the data', () => {
    const extensions = { document: 'users/alice', database: 'db2', namespace: 'ns', location: 'nam5', project: 'other' };
    const event = asJson(simple, { extensions, subject: 'documents/ignored/x' });
    expect(event).toMatchObject({ document: 'users/alice', database: 'db2', namespace: 'ns', location: 'nam5', project: 'other' });
    expect(asJson(simple, { subject: 'documents/users/bob' }).document).toBe('users/bob');
    const bare = asJson(simple, { source: undefined });
    expect(bare).toMatchObject({ document: 'gcf-test/2Vm2mI1d0wIaK2Waj5to', database: '(default)', project: 'project-id' });
    expect(bare.namespace).toBeUndefined();
  });

  it('a deleted document (oldValue only) names itself; no document anywhere is refused', () => {
    const deleted = asProtobuf(
      { oldValue: (simple as { oldValue: unknown }).oldValue },
      { type: 'google.cloud.firestore.document.v1.deleted', source: undefined },
    );
    expect(deleted.value).toBeUndefined();
    expect(deleted.document).toBe('gcf-test/2Vm2mI1d0wIaK2Waj5to');
    expect(rejection(() => asProtobuf({}, { source: undefined })).path).toBe('document');
  });

  it.each(['google.cloud.firestore.document.v1.read', 'constructor', '__proto__', 'google.cloud.firestore.document.v1.written.withauthcontext'])(
    'type %j is refused',
    (type) => {
      expect(isFirestoreDocumentType(type)).toBe(false);
      expect(rejection(() => asJson(simple, { type })).path).toBe('type');
    },
  );

  it('a content type that is neither JSON nor protobuf is refused', () => {
    expect(rejection(() => firestoreDocumentEventOf(input(Buffer.from('x'), 'text/plain'))).path).toBe('datacontenttype');
  });
});

describe('1st-gen background events: the conformance pairs', () => {
  const dir = ['functions-framework-conformance', 'events', 'generate', 'data'];
  interface Legacy {
    eventType: string;
    resource: string;
    data: unknown;
    eventId: string;
    timestamp: string;
  }
  interface Structured {
    type: string;
    source: string;
    subject: string;
    id: string;
    time: string;
    datacontenttype: string;
    data: unknown;
  }

  it.each(['firestore_simple', 'firestore_complex'])('%s: the legacy and the CloudEvent input give the CloudEvent output', (name) => {
    const legacy = readReal<Legacy>(...dir, `${name}-legacy-input.json`);
    const structured = readReal<Structured>(...dir, `${name}-cloudevent-input.json`);
    const output = readReal<Structured>(...dir, `${name}-cloudevent-output.json`);

    const converted = firestoreCloudEventOfBackground(legacy.eventType, legacy.resource)!;
    expect(converted).toEqual({ type: output.type, source: output.source, subject: output.subject });
    expect(legacy.eventId).toBe(output.id); // the envelope carries id and time across unchanged
    expect(legacy.timestamp).toBe(output.time);

    const decode = (attributes: { type: string; source: string; subject: string }, data: unknown) =>
      firestoreDocumentEventOf({ ...attributes, dataContentType: 'application/json', data: Buffer.from(JSON.stringify(data)), extensions: {} });
    const expected = decode(output, output.data);
    expect(decode(converted, legacy.data)).toEqual(expected);
    expect(decode(structured, structured.data)).toEqual(expected);
    expect(expected).toEqual(EXPECTED[name.replace('firestore_', '')]);
  });

  it('every document change maps, and other event types are not Firestore ones', () => {
    const resource = 'projects/p/databases/(default)/documents/users/alice';
    for (const [legacy, change] of [
      ['create', 'created'],
      ['update', 'updated'],
      ['delete', 'deleted'],
      ['write', 'written'],
    ]) {
      expect(firestoreCloudEventOfBackground(`providers/cloud.firestore/eventTypes/document.${legacy}`, resource)?.type).toBe(
        `google.cloud.firestore.document.v1.${change}`,
      );
    }
    expect(firestoreCloudEventOfBackground('providers/cloud.pubsub/eventTypes/topic.publish', resource)).toBeUndefined();
    expect(firestoreCloudEventOfBackground('constructor', resource)).toBeUndefined();
    expect(() => firestoreCloudEventOfBackground('providers/cloud.firestore/eventTypes/document.write', 'projects/p/topics/t')).toThrow(PayloadError);
  });
});

const NAME = 'projects/p/databases/(default)/documents/c/d';
const withFields = (fields: unknown) => ({ value: { name: NAME, fields } });
const fieldsOf = (event: FirestoreDocumentChange) => event.value!.fields;

describe('values the fixtures do not carry, the same both ways', () => {
  it.each<[string, unknown, FirestoreValue]>([
    ['int64 max', { integerValue: '9223372036854775807' }, 9223372036854775807n],
    ['int64 min', { integerValue: '-9223372036854775808' }, -9223372036854775808n],
    ['2^53 + 1, which a number would round', { integerValue: '9007199254740993' }, 9007199254740993n],
    // Either side of the protobuf decoder's exact-number path (a Long's high word within ±2^21).
    ['2^53 - 1', { integerValue: '9007199254740991' }, 9007199254740991n],
    ['2^53', { integerValue: '9007199254740992' }, 9007199254740992n],
    ['-2^53', { integerValue: '-9007199254740992' }, -9007199254740992n],
    ['-2^53 - 1', { integerValue: '-9007199254740993' }, -9007199254740993n],
    ['-1', { integerValue: '-1' }, -1n],
    ['-2^32', { integerValue: '-4294967296' }, -4294967296n],
    ['2^32 + 1', { integerValue: '4294967297' }, 4294967297n],
    ['bytes', { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') }, Buffer.from([0, 1, 254, 255])],
    ['empty bytes', { bytesValue: '' }, Buffer.alloc(0)],
    ['NaN', { doubleValue: 'NaN' }, NaN],
    ['-Infinity', { doubleValue: '-Infinity' }, -Infinity],
    ['an integral double', { doubleValue: 3 }, 3],
    ['a timestamp in whole seconds', { timestampValue: '2024-02-29T23:59:59Z' }, '2024-02-29T23:59:59Z'],
    ['a timestamp in nanoseconds', { timestampValue: '1970-01-01T00:00:00.000000001Z' }, '1970-01-01T00:00:00.000000001Z'],
    ['the first Timestamp', { timestampValue: '0001-01-01T00:00:00Z' }, '0001-01-01T00:00:00Z'],
    ['the last Timestamp', { timestampValue: '9999-12-31T23:59:59.999999999Z' }, '9999-12-31T23:59:59.999999999Z'],
    ['a timestamp just before 1970', { timestampValue: '1969-12-31T23:59:59.500Z' }, '1969-12-31T23:59:59.500Z'],
    ['a timestamp in microseconds', { timestampValue: '2020-04-23T09:58:53.000001Z' }, '2020-04-23T09:58:53.000001Z'],
    ['a timestamp in milliseconds with leading zeros', { timestampValue: '2020-04-23T09:58:53.007Z' }, '2020-04-23T09:58:53.007Z'],
    ['a timestamp in nanoseconds, every group', { timestampValue: '0999-01-01T00:00:00.010020003Z' }, '0999-01-01T00:00:00.010020003Z'],
    ['an empty array', { arrayValue: {} }, []],
    ['an empty map', { mapValue: {} }, {}],
    ['a geo point at 0,0', { geoPointValue: {} }, { latitude: 0, longitude: 0 }],
    ['unicode', { stringValue: 'zoë 🌍' }, 'zoë 🌍'],
  ])('%s', (_name, value, expected) => {
    const json = withFields({ f: value });
    expect(fieldsOf(asJson(json))).toEqual({ f: expected });
    expect(fieldsOf(asProtobuf(json))).toEqual({ f: expected });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('a field named %j is an own field with its value, and pollutes nothing', (key) => {
    const text = `{"value":{"name":"${NAME}","fields":{${JSON.stringify(key)}:{"stringValue":"v"},"m":{"mapValue":{"fields":{${JSON.stringify(key)}:{"integerValue":"1"}}}}}}}`;
    const fromJson = firestoreDocumentEventOf(input(Buffer.from(text), 'application/json'));
    const fromProtobuf = firestoreDocumentEventOf(input(encodeDocumentEventJson(JSON.parse(text)), 'application/protobuf'));
    for (const event of [fromJson, fromProtobuf]) {
      const fields = fieldsOf(event);
      expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
      expect(Object.keys(fields)).toEqual([key, 'm']);
      expect(Object.getOwnPropertyDescriptor(fields, key)?.value).toBe('v');
      expect(Object.getOwnPropertyDescriptor(fields['m'], key)?.value).toBe(1n);
    }
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('stringValue');
    expect(({} as Record<string, unknown>)['stringValue']).toBeUndefined();
  });
});

describe('hostile data is a PayloadError that names the field', () => {
  it.each<[string, unknown, string]>([
    ['a string as an integer', { integerValue: '1.5' }, 'value.fields.f'],
    ['an integer past int64', { integerValue: '9223372036854775808' }, 'value.fields.f'],
    ['a 10 000-digit integer', { integerValue: '9'.repeat(10_000) }, 'value.fields.f'],
    // eslint-disable-next-line no-loss-of-precision -- the point: a JSON number past 2^53 as a sender writes it
    ['an unsafe JSON number as an integer', { integerValue: 9007199254740993 }, 'value.fields.f'],
    ['a number as a string', { stringValue: 5 }, 'value.fields.f'],
    ['text as a boolean', { booleanValue: 'true' }, 'value.fields.f'],
    ['bad base64', { bytesValue: 'not base64!' }, 'value.fields.f'],
    ['a date that is no RFC 3339', { timestampValue: 'yesterday' }, 'value.fields.f'],
    ['a reference outside documents/', { referenceValue: 'users/alice' }, 'value.fields.f'],
    ['two value types', { stringValue: 'a', integerValue: '1' }, 'value.fields.f'],
    ['no value type', { fooValue: 1 }, 'value.fields.f'],
    ['a Value that is no object', 'plain', 'value.fields.f'],
    ['values that are no array', { arrayValue: { values: 'x' } }, 'value.fields.f'],
    ['a bad value deep down', { mapValue: { fields: { a: { arrayValue: { values: [{ stringValue: 'ok' }, { stringValue: 1 }] } } } } }, 'value.fields.f.a.1'],
  ])('%s', (_name, value, where) => {
    const err = rejection(() => asJson(withFields({ f: value })));
    expect(err.disposition).toBe('permanent');
    expect(err.shape).toBe('DocumentEventData');
    expect(err.path).toBe(where);
  });

  it.each<[string, unknown, string]>([
    ['data that is no object', [1, 2], ''],
    ['a document that is no object', { value: 'x' }, 'value'],
    ['a document without a name', { value: { fields: {} } }, 'value.name'],
    ['a name outside documents/', { value: { name: 'projects/p/topics/t' } }, 'value.name'],
    ['fields that are no object', { value: { name: NAME, fields: [] } }, 'value.fields'],
    ['a createTime that is no timestamp', { value: { name: NAME, createTime: 5 } }, 'value.createTime'],
    ['an updateMask of numbers', { value: { name: NAME }, updateMask: { fieldPaths: [1] } }, 'updateMask.fieldPaths'],
  ])('%s', (_name, json, where) => {
    expect(rejection(() => asJson(json)).path).toBe(where);
  });

  it('JSON that is not JSON', () => {
    expect(rejection(() => firestoreDocumentEventOf(input(Buffer.from('{"value":'), 'application/json'))).problem).toMatch(/not valid JSON/);
  });

  const simpleProtobuf = encodeDocumentEventJson(readReal('google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json'));
  it.each<[string, Buffer]>([
    ['truncated', simpleProtobuf.subarray(0, simpleProtobuf.length - 7)],
    ['a length past the end', Buffer.from([0x0a, 0xff, 0x01, 0x00])],
    ['an invalid wire type', Buffer.from([0x0f, 0x00])],
    ['JSON sent as protobuf', Buffer.from('{"value":{}}')],
    ['random bytes', Buffer.from('8f1c2a9be0d34471aa50c6e2b7190f3d5e', 'hex')],
  ])('protobuf %s', (_name, bytes) => {
    const err = rejection(() => firestoreDocumentEventOf(input(bytes, 'application/protobuf')));
    expect(err.disposition).toBe('permanent');
    expect(err.shape).toBe('DocumentEventData');
  });

  it('protobuf timestamps outside Timestamp range and a bad reference are refused like JSON ones', () => {
    // Encoded by hand: Document{name, create_time{seconds: 253402300800}} (one second past 9999-12-31).
    const name = Buffer.from(NAME);
    const seconds = [0x80, 0xf0, 0xb9, 0xed, 0xb0, 0x07]; // varint 253402300800
    const timestamp = Buffer.from([0x08, ...seconds]);
    const doc = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x1a, timestamp.length]), timestamp]);
    const bytes = Buffer.concat([Buffer.from([0x0a, doc.length]), doc]);
    expect(rejection(() => firestoreDocumentEventOf(input(bytes, 'application/protobuf'))).path).toBe('value.createTime');
    expect(rejection(() => asProtobuf(withFields({ f: { referenceValue: 'nowhere' } }))).path).toBe('value.fields.f');
  });

  const nested = (levels: number): unknown => {
    let value: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < levels; i++) value = i % 2 ? { mapValue: { fields: { k: value } } } : { arrayValue: { values: [value] } };
    return withFields({ f: value });
  };

  it('nesting up to 32 levels decodes; deeper is refused, in both forms, without a stack overflow', () => {
    expect(asJson(nested(32))).toEqual(asProtobuf(nested(32)));
    for (const levels of [33, 40]) {
      expect(rejection(() => asJson(nested(levels))).problem).toMatch(/nested more than 32 levels/);
      expect(rejection(() => asProtobuf(nested(levels))).problem).toMatch(/nested more than 32 levels/);
    }
    // Far past the stack (JSON) and past protobufjs's own limit of 100 messages (protobuf): still a PayloadError.
    const deepJson = '{"value":{"name":"' + NAME + '","fields":{"f":' + '{"arrayValue":{"values":['.repeat(100_000) + ']}}'.repeat(100_000) + '}}}';
    expect(rejection(() => firestoreDocumentEventOf(input(Buffer.from(deepJson), 'application/json'))).shape).toBe('DocumentEventData');
    // 2000 levels of Value{arrayValue{values: [...]}} on the wire, encoded by hand.
    let wire: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 2000; i++) {
      const array = Buffer.concat([Buffer.from([0x0a]), varint(wire.length), wire]);
      wire = Buffer.concat([Buffer.from([0x4a]), varint(array.length), array]);
    }
    const entry = Buffer.concat([Buffer.from([0x0a, 1]), Buffer.from('f'), Buffer.from([0x12]), varint(wire.length), wire]);
    const name = Buffer.from(NAME);
    const doc = Buffer.concat([Buffer.from([0x0a, name.length]), name, Buffer.from([0x12]), varint(entry.length), entry]);
    const data = Buffer.concat([Buffer.from([0x0a]), varint(doc.length), doc]);
    expect(rejection(() => firestoreDocumentEventOf(input(data, 'application/protobuf'))).problem).toMatch(
      /not a protobuf DocumentEventData \(maximum nesting depth exceeded\)/,
    );
  });
});

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

describe('property: any document reads the same from JSON and from protobuf, and is what was written', () => {
  // A plain value and its proto3 JSON form, generated together.
  type Pair = { plain: FirestoreValue; json: unknown };
  const canonicalTime = fc
    .tuple(
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 999 }),
      fc.integer({ min: 0, max: 999_999 }),
    )
    .map(([date, digits, last, rest]) => {
      const whole = date.toISOString().slice(0, 19);
      // 0, 3, 6 or 9 digits, the last group non-zero: the form proto3 JSON writes.
      const fraction =
        digits === 0
          ? ''
          : `.${String(rest)
              .padStart(6, '0')
              .slice(0, (digits - 1) * 3)}${String(last).padStart(3, '0')}`;
      return `${whole}${fraction}Z`;
    });
  const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', '`x`'));
  const leaf: fc.Arbitrary<Pair> = fc.oneof(
    fc.constant<Pair>({ plain: null, json: { nullValue: null } }),
    fc.boolean().map((b) => ({ plain: b, json: { booleanValue: b } })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ plain: i, json: { integerValue: i.toString() } })),
    fc
      .double()
      .filter((d) => !Object.is(d, -0))
      .map((d) => ({ plain: d, json: { doubleValue: Number.isFinite(d) ? d : String(d) } })),
    canonicalTime.map((t) => ({ plain: t, json: { timestampValue: t } })),
    fc.string().map((s) => ({ plain: s, json: { stringValue: s } })),
    fc.uint8Array({ maxLength: 16 }).map((b) => ({ plain: Buffer.from(b), json: { bytesValue: Buffer.from(b).toString('base64') } })),
    fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 2, maxLength: 4 }).map((segments) => ({
      plain: segments.join('/'),
      json: { referenceValue: `projects/p/databases/(default)/documents/${segments.join('/')}` },
    })),
    fc
      .tuple(fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }))
      .filter(([a, b]) => !Object.is(a, -0) && !Object.is(b, -0))
      .map(([latitude, longitude]) => ({
        plain: { latitude, longitude },
        json: { geoPointValue: { latitude, longitude } },
      })),
  );
  const { value } = fc.letrec<{ value: Pair }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc
        .array(tie('value'), { maxLength: 3 })
        .map((items) => ({ plain: items.map((i) => i.plain), json: { arrayValue: { values: items.map((i) => i.json) } } })),
      fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 3, selector: ([k]) => k }).map((entries) => {
        const plain: Record<string, FirestoreValue> = {};
        const json: Record<string, unknown> = {};
        for (const [k, v] of entries) {
          Object.defineProperty(plain, k, { value: v.plain, enumerable: true, writable: true, configurable: true });
          Object.defineProperty(json, k, { value: v.json, enumerable: true, writable: true, configurable: true });
        }
        return { plain, json: { mapValue: { fields: json } } };
      }),
    ),
  }));

  it('holds for generated values', () => {
    fc.assert(
      fc.property(value, ({ plain, json }) => {
        const data = withFields({ f: json });
        const expected = { f: plain };
        expect(fieldsOf(asJson(data))).toEqual(expected);
        expect(fieldsOf(asProtobuf(data))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('protobufjs stays off the cold-start path', () => {
  const DIST = path.resolve(__dirname, '..', '..', '..', 'dist');
  const loaded = (script: string): Record<string, boolean> =>
    JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: DIST, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
        .split('\n')
        // The service's own log lines (written at the end of the turn, or at exit) may come after it.
        .find((line) => line.startsWith('RESULT '))!
        .slice('RESULT '.length),
    ) as Record<string, boolean>;

  it('the service loads without it; a JSON event does not load it; the first protobuf event does', () => {
    const result = loaded(`
      const inCache = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/protobufjs/'));
      const out = {};
      require('./service/bundle/router.js');
      out.bundle = inCache();
      require('./functions/app.js');
      out.app = inCache();
      const { firestoreDocumentEventOf } = require('./functions/parse/payloads/firestore-document.js');
      const fs = require('fs');
      const base = { type: '${WRITTEN}', source: '${SOURCE}', extensions: {} };
      firestoreDocumentEventOf({ ...base, dataContentType: 'application/json', data: fs.readFileSync(${JSON.stringify(path.join(FIXTURES, SOURCES[0]))}) });
      out.afterJson = inCache();
      const pb = ${JSON.stringify(path.join(FIXTURES, 'protobuf', SOURCES[0].replace(/^real\//, '').replace(/\.json$/, '.binpb')))};
      out.decoded = firestoreDocumentEventOf({ ...base, dataContentType: 'application/protobuf', data: fs.readFileSync(pb) }).document === 'gcf-test/2Vm2mI1d0wIaK2Waj5to';
      out.afterProtobuf = inCache();
      process.stdout.write('\\nRESULT ' + JSON.stringify(out) + '\\n');
    `);
    expect(result).toEqual({ bundle: false, app: false, afterJson: false, decoded: true, afterProtobuf: true });
  });
});

describe('a protobuf map entry without its Value', () => {
  // Found by test/receive/raw-request-property.test.ts: DocumentEventData-simple with one key byte zeroed, so an
  // oldValue field's entry decodes with no Value message. It was a TypeError (an internal 500, redelivered forever).
  const body = Buffer.from(
    'Cp8BCk9wcm9qZWN0cy9wcm9qZWN0LWlkL2RhdGFiYXNlcy8oZGVmYXVsdCkvZG9jdW1lbnRzL2djZi10ZXN0LzJWbTJtSTFkMHdJYUsyV2FqNXRvEhYKDGFub3RoZXIgdGVzdBIGigEDYXNkEgsKBWNvdW50EgIQBBINCgNmb28SBooBA2JhchoLCN3NhfUFEPjG0GQiCwjbhob1BRC4jO91Ep8BCk9wcm9qZWN0cy9wcm9qZWN0LWlkL2RhdGFiYXNlcy8oZGVmYXVsdCkvZG9jdW1lbnRzL2djZi10ZXN0LzJWbTJtSTFkMHdJYUsyV2FqNXRvEhYADGFub3RoZXIgdGVzdBIGigEDYXNkEgsKBWNvdW50EgIQAxINCgNmb28SBooBA2JhchoLCN3NhfUFEPjG0GQiCwjbhob1BRC4jO91GgcKBWNvdW50',
    'base64',
  );
  it('is a permanent payload error naming the field, answered 200 and kept', () => {
    const raw = {
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/protobuf',
        'ce-specversion': '1.0',
        'ce-id': 'firestore-updated-1',
        'ce-source': '//firestore.googleapis.com/projects/project-id/databases/(default)',
        'ce-subject': 'documents/gcf-test/2Vm2mI1d0wIaK2Waj5to',
        'ce-type': 'google.cloud.firestore.document.v1.updated',
      },
      body,
    };
    expect(() => parseDelivery(raw)).toThrow(PayloadError);
    expect(() => parseDelivery(raw)).toThrow(/oldValue\.fields.*has no value/);
  });
});
