/**
 * The protobuf half of Firestore event decoding: DocumentEventData bytes
 * (`application/protobuf`) decoded by protobufjs from the published schema, then
 * made into the same plain values as the JSON half. Loaded on the first protobuf
 * event only (firestore-document.ts): protobufjs is not on the cold-start path.
 */
import { Root, type Message, type Type } from 'protobufjs/light';
import { PayloadError } from '../errors';
import { FIRESTORE_DESCRIPTOR } from './firestore-schema/descriptor';
import {
  MAX_NESTING,
  SHAPE,
  ValueProblem,
  checkedInt64,
  document,
  eventData,
  formatTimestamp,
  isDocumentName,
  payloadErrorOf,
  problemAt,
  referencePath,
  type FirestoreDocument,
  type FirestoreEventData,
  type FirestoreFields,
  type FirestoreValue,
} from './firestore-value';
import { setOwn } from './json-fields';

// One Root for this module, never protobufjs's shared default: google-gax keeps its own there.
const DocumentEventData: Type = Root.fromJSON(FIRESTORE_DESCRIPTOR).lookupType('google.events.cloud.firestore.v1.DocumentEventData');

/** protobufjs's int64: a Long when the `long` package is there (it is protobufjs's dependency), else a number. */
interface LongLike {
  readonly low: number;
  readonly high: number;
}
type Int64 = LongLike | number;

interface TimestampMessage {
  readonly seconds: Int64;
  readonly nanos: number;
}
interface ValueMessage {
  readonly [type: string]: unknown;
}
interface DocumentMessage {
  readonly name: string;
  readonly fields: Readonly<Record<string, ValueMessage>>;
  readonly createTime: TimestampMessage | null;
  readonly updateTime: TimestampMessage | null;
}
interface EventDataMessage {
  readonly value: DocumentMessage | null;
  readonly oldValue: DocumentMessage | null;
  readonly updateMask: { readonly fieldPaths: readonly string[] } | null;
}

/** An int64 as bigint: always within int64 from a Long; a number (protobufjs without `long`) may have rounded past it. */
function bigintOf(v: Int64): bigint {
  if (typeof v === 'number') return checkedInt64(BigInt(v));
  // Within ±2^53 the Long's value is an exact number: one BigInt instead of four.
  if (v.high >= -0x200000 && v.high < 0x200000) return BigInt(v.high * 4294967296 + (v.low >>> 0));
  return BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
}

/** Seconds as a number: exact within Timestamp's range, and anything outside it is refused anyway. */
function timestampOf(t: TimestampMessage): string {
  const s = t.seconds;
  return formatTimestamp(typeof s === 'number' ? s : s.high * 4294967296 + (s.low >>> 0), t.nanos);
}

/** One decoded Value: the member set is its type (a decoded message owns only the members it carried). */
function valueOf(v: ValueMessage | null | undefined, depth: number): FirestoreValue {
  // A map entry whose value field is missing decodes to no message at all (found by the intake property test).
  if (v === null || v === undefined) throw new ValueProblem('has no value (a map entry without its Value)');
  const keys = Object.keys(v);
  if (keys.length === 0) throw new ValueProblem('has no value type (nullValue, stringValue, integerValue, mapValue, ...)');
  // A oneof carried twice keeps its last member, as protobuf decoders do.
  const type = keys[keys.length - 1];
  const x = v[type];
  switch (type) {
    case 'nullValue':
      return null;
    case 'booleanValue':
    case 'doubleValue':
    case 'stringValue':
      return x as boolean | number | string;
    case 'integerValue':
      return bigintOf(x as Int64);
    case 'timestampValue':
      return timestampOf(x as TimestampMessage);
    case 'bytesValue':
      return Buffer.from(x as Uint8Array);
    case 'referenceValue':
      return referencePath(x as string);
    case 'geoPointValue': {
      const g = x as { latitude: number; longitude: number };
      return { latitude: g.latitude, longitude: g.longitude };
    }
    case 'arrayValue': {
      if (depth >= MAX_NESTING) throw new ValueProblem(`is nested more than ${MAX_NESTING} levels deep`);
      return (x as { values: readonly ValueMessage[] }).values.map((item, i) => {
        try {
          return valueOf(item, depth + 1);
        } catch (err) {
          throw problemAt(err, String(i));
        }
      });
    }
    case 'mapValue':
      if (depth >= MAX_NESTING) throw new ValueProblem(`is nested more than ${MAX_NESTING} levels deep`);
      return fieldsOf((x as { fields: Readonly<Record<string, ValueMessage>> }).fields, depth + 1);
    default:
      throw new ValueProblem(`has no value type this schema knows (${type})`);
  }
}

function fieldsOf(fields: Readonly<Record<string, ValueMessage>>, depth: number): FirestoreFields {
  const out: Record<string, FirestoreValue> = {};
  for (const key of Object.keys(fields)) {
    try {
      setOwn(out, key, valueOf(fields[key], depth));
    } catch (err) {
      throw problemAt(err, key);
    }
  }
  return out;
}

function documentOf(d: DocumentMessage | null, path: string): FirestoreDocument | undefined {
  if (d === null) return undefined;
  // An empty message is no document, as `{}` is in JSON.
  if (d.name === '' && d.createTime === null && d.updateTime === null && Object.keys(d.fields).length === 0) return undefined;
  if (!isDocumentName(d.name))
    throw new PayloadError(SHAPE, `${path}.name`, `must be projects/P/databases/D/documents/PATH, not ${JSON.stringify(d.name.slice(0, 80))}`);
  const time = (t: TimestampMessage | null, key: string) => {
    if (t === null) return undefined;
    try {
      return timestampOf(t);
    } catch (err) {
      throw new PayloadError(SHAPE, `${path}.${key}`, (err as Error).message);
    }
  };
  const createTime = time(d.createTime, 'createTime');
  const updateTime = time(d.updateTime, 'updateTime');
  try {
    return document(d.name, fieldsOf(d.fields, 0), createTime, updateTime);
  } catch (err) {
    throw payloadErrorOf(err, `${path}.fields`);
  }
}

/** DocumentEventData bytes as plain values; bytes that are no such message are a PayloadError. */
export function eventDataOfProtobuf(bytes: Buffer): FirestoreEventData {
  let m: EventDataMessage;
  try {
    m = DocumentEventData.decode(bytes) as Message & EventDataMessage;
  } catch (err) {
    // protobufjs throws for truncated or mistyped fields and past its nesting limit; a stack overflow lands here too.
    throw new PayloadError(SHAPE, '', `is not a protobuf DocumentEventData (${(err as Error).message})`);
  }
  const value = documentOf(m.value, 'value');
  const oldValue = documentOf(m.oldValue, 'oldValue');
  return eventData(value, oldValue, m.updateMask?.fieldPaths ?? []);
}
