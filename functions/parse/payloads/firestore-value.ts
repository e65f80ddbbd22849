/**
 * Firestore documents as plain values, and the JSON half of their decoding
 * (google.events.cloud.firestore.v1.DocumentEventData in proto3 JSON). The
 * protobuf half (firestore-proto.ts) makes the same values from the same schema,
 * with the same checks, so a document reads the same however it was delivered.
 */
import { PayloadError } from '../errors';
import { decodeBase64 } from './bytes';
import { describe, isJsonObject, setOwn, type JsonObject } from './json-fields';

export interface FirestoreGeoPoint {
  readonly latitude: number;
  readonly longitude: number;
}

/**
 * A field value: strings, booleans, null, doubles as numbers, integers as bigint
 * (int64, never rounded), timestamps as their RFC 3339 text, bytes as a Buffer,
 * references as the document path below `documents/`, geo points, arrays and maps.
 */
export type FirestoreValue =
  null | boolean | number | bigint | string | Buffer | FirestoreGeoPoint | readonly FirestoreValue[] | { readonly [field: string]: FirestoreValue };

export type FirestoreFields = { readonly [field: string]: FirestoreValue };

export interface FirestoreDocument {
  /** `projects/P/databases/D/documents/PATH`, as delivered. */
  readonly name: string;
  readonly createTime?: string;
  readonly updateTime?: string;
  readonly fields: FirestoreFields;
}

/** DocumentEventData as plain values; a document absent (or sent as `{}`) is undefined. */
export interface FirestoreEventData {
  readonly value?: FirestoreDocument;
  readonly oldValue?: FirestoreDocument;
  readonly updateMask: readonly string[];
}

export const SHAPE = 'DocumentEventData';

/**
 * Maps and arrays nested deeper than this are refused. Firestore itself allows 20
 * levels; the bound keeps the conversion's recursion far from the stack's limit
 * (protobufjs stops at 100 messages, about 48 levels, before it).
 */
export const MAX_NESTING = 32;

/** A problem inside a field value; the path is filled in as it unwinds (no cost when nothing fails). */
export class ValueProblem extends Error {
  readonly path: string[] = [];
}

export function problemAt(err: unknown, segment: string): unknown {
  if (err instanceof ValueProblem) err.path.unshift(segment);
  return err;
}

/** A ValueProblem below `base` (e.g. `value.fields`) as the PayloadError it is. */
export function payloadErrorOf(err: unknown, base: string): unknown {
  return err instanceof ValueProblem ? new PayloadError(SHAPE, [base, ...err.path].join('.'), err.message) : err;
}

const DOCUMENT_NAME = /^projects\/([^/]+)\/databases\/([^/]+)\/documents\/(.+)$/s;

/** `projects/P/databases/D/documents/PATH` -> its parts. */
export function parseDocumentName(name: string): { project: string; database: string; path: string } | undefined {
  const m = DOCUMENT_NAME.exec(name);
  return m ? { project: m[1], database: m[2], path: m[3] } : undefined;
}

/** Whether `name` is `projects/P/databases/D/documents/PATH`, without taking it apart. */
export const isDocumentName = (name: string): boolean => DOCUMENT_NAME.test(name);

export function referencePath(reference: string): string {
  const parsed = parseDocumentName(reference);
  if (!parsed) throw new ValueProblem(`reference ${quote(reference)} is not projects/P/databases/D/documents/PATH`);
  return parsed.path;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function checkedInt64(value: bigint): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw new ValueProblem(`integer ${value} is outside int64`);
  return value;
}

// Google's proto3 JSON: RFC 3339 with 0 to 9 fractional digits.
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/i;
// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

// Two digits of 0..99 and nine of a nanosecond count, looked up or padded once: formatting was a sixth of a protobuf decode.
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));
const pad2 = (n: number) => TWO_DIGITS[n];
const pad3 = (n: number) => (n >= 100 ? `${n}` : n >= 10 ? `0${n}` : `00${n}`);
const pad9 = (n: number) => `${pad3(Math.floor(n / 1_000_000))}${pad3(Math.floor(n / 1000) % 1000)}${pad3(n % 1000)}`;
const pad4 = (n: number) => (n >= 1000 ? `${n}` : n >= 100 ? `0${n}` : n >= 10 ? `00${n}` : `000${n}`);

/**
 * A Timestamp as proto3 JSON writes it: UTC, with 0, 3, 6 or 9 fractional digits.
 * The calendar arithmetic is done here (days to civil date, as in Hinnant's
 * `civil_from_days`): a Date and toISOString cost more than the rest of a decode.
 */
export function formatTimestamp(seconds: number, nanos: number): string {
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS) || !Number.isInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new ValueProblem(`timestamp ${seconds}s ${nanos}ns is outside google.protobuf.Timestamp's range`);
  }
  const days = Math.floor(seconds / 86400);
  const secondOfDay = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  const whole = `${pad4(year)}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(secondOfDay % 60)}`;
  if (nanos === 0) return `${whole}Z`;
  // 3, 6 or 9 digits: the shortest of those that keeps every nonzero digit.
  const fraction =
    nanos % 1_000_000 === 0
      ? pad3(nanos / 1_000_000)
      : nanos % 1000 === 0
        ? `${pad3(Math.floor(nanos / 1_000_000))}${pad3((nanos / 1000) % 1000)}`
        : pad9(nanos);
  return `${whole}.${fraction}Z`;
}

export function checkedTimestampText(v: unknown): string {
  if (typeof v !== 'string' || !RFC3339.test(v)) throw new ValueProblem(`must be an RFC 3339 timestamp, not ${describe(v)}`);
  return v;
}

const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);

// ---- proto3 JSON ----

const VALUE_TYPES: ReadonlySet<string> = new Set([
  'nullValue',
  'booleanValue',
  'integerValue',
  'doubleValue',
  'timestampValue',
  'stringValue',
  'bytesValue',
  'referenceValue',
  'geoPointValue',
  'arrayValue',
  'mapValue',
]);

const INT64_TEXT = /^-?\d{1,19}$/;
const DOUBLE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function int64OfJson(v: unknown): bigint {
  // BigInt of a long digit string is quadratic: at most 19 digits reach it.
  if (typeof v === 'string' && INT64_TEXT.test(v)) return checkedInt64(BigInt(v));
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new ValueProblem(`integerValue must be an int64 as a decimal string, not ${describe(v)}`);
}

function doubleOfJson(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.length <= 400 && DOUBLE_TEXT.test(v)) return Number(v);
  throw new ValueProblem(`doubleValue must be a number, not ${describe(v)}`);
}

/** proto3 JSON bytes: standard or URL-safe base64, padded or not; strictly checked. */
function bytesOfJson(v: unknown): Buffer {
  if (typeof v !== 'string') throw new ValueProblem(`bytesValue must be base64 text, not ${describe(v)}`);
  let text = v.replace(/-/g, '+').replace(/_/g, '/');
  if (text.length % 4 !== 0) text += '='.repeat(4 - (text.length % 4));
  try {
    return decodeBase64(text, SHAPE, '');
  } catch {
    throw new ValueProblem('bytesValue is not valid base64');
  }
}

function geoPointOfJson(v: unknown): FirestoreGeoPoint {
  if (!isJsonObject(v)) throw new ValueProblem(`geoPointValue must be an object, not ${describe(v)}`);
  const coordinate = (key: 'latitude' | 'longitude'): number => {
    const c = Object.hasOwn(v, key) ? v[key] : undefined;
    if (c === undefined || c === null) return 0;
    if (typeof c !== 'number') throw new ValueProblem(`geoPointValue.${key} must be a number, not ${describe(c)}`);
    return c;
  };
  return { latitude: coordinate('latitude'), longitude: coordinate('longitude') };
}

/** One Value (`{"stringValue": "x"}`) as a plain value. */
export function valueOfJson(v: unknown, depth: number): FirestoreValue {
  if (!isJsonObject(v)) throw new ValueProblem(`must be a Value object, not ${describe(v)}`);
  let type: string | undefined;
  for (const key of Object.keys(v)) {
    if (!VALUE_TYPES.has(key)) continue; // proto3 JSON readers skip unknown members
    if (type !== undefined) throw new ValueProblem(`has two value types, ${type} and ${key}`);
    type = key;
  }
  if (type === undefined) throw new ValueProblem('has no value type (nullValue, stringValue, integerValue, mapValue, ...)');
  const x = v[type];
  switch (type) {
    case 'nullValue':
      if (x !== null && x !== 'NULL_VALUE' && x !== 0) throw new ValueProblem(`nullValue must be null, not ${describe(x)}`);
      return null;
    case 'booleanValue':
      if (typeof x !== 'boolean') throw new ValueProblem(`booleanValue must be a boolean, not ${describe(x)}`);
      return x;
    case 'integerValue':
      return int64OfJson(x);
    case 'doubleValue':
      return doubleOfJson(x);
    case 'timestampValue':
      return checkedTimestampText(x);
    case 'stringValue':
      if (typeof x !== 'string') throw new ValueProblem(`stringValue must be a string, not ${describe(x)}`);
      return x;
    case 'bytesValue':
      return bytesOfJson(x);
    case 'referenceValue':
      if (typeof x !== 'string') throw new ValueProblem(`referenceValue must be a string, not ${describe(x)}`);
      return referencePath(x);
    case 'geoPointValue':
      return geoPointOfJson(x);
    case 'arrayValue': {
      if (depth >= MAX_NESTING) throw new ValueProblem(`is nested more than ${MAX_NESTING} levels deep`);
      if (!isJsonObject(x)) throw new ValueProblem(`arrayValue must be an object, not ${describe(x)}`);
      const values = Object.hasOwn(x, 'values') ? x['values'] : undefined;
      if (values === undefined || values === null) return [];
      if (!Array.isArray(values)) throw new ValueProblem(`arrayValue.values must be an array, not ${describe(values)}`);
      return values.map((item, i) => {
        try {
          return valueOfJson(item, depth + 1);
        } catch (err) {
          throw problemAt(err, String(i));
        }
      });
    }
    default: {
      // mapValue
      if (depth >= MAX_NESTING) throw new ValueProblem(`is nested more than ${MAX_NESTING} levels deep`);
      if (!isJsonObject(x)) throw new ValueProblem(`mapValue must be an object, not ${describe(x)}`);
      return fieldsOfJson(Object.hasOwn(x, 'fields') ? x['fields'] : undefined, depth + 1);
    }
  }
}

/** A `fields` map; every key is kept as an own member, `__proto__` too. */
export function fieldsOfJson(o: unknown, depth: number): FirestoreFields {
  const out: Record<string, FirestoreValue> = {};
  if (o === undefined || o === null) return out;
  if (!isJsonObject(o)) throw new ValueProblem(`fields must be an object, not ${describe(o)}`);
  for (const key of Object.keys(o)) {
    try {
      setOwn(out, key, valueOfJson(o[key], depth));
    } catch (err) {
      throw problemAt(err, key);
    }
  }
  return out;
}

/** A Document, or undefined for none (absent, null, or `{}` as Google's examples send a created document's oldValue). */
export function documentOfJson(o: unknown, path: string): FirestoreDocument | undefined {
  if (o === undefined || o === null) return undefined;
  if (!isJsonObject(o)) throw new PayloadError(SHAPE, path, `must be a Document object, not ${describe(o)}`);
  const name = member(o, 'name');
  const fields = member(o, 'fields');
  const createTime = member(o, 'createTime');
  const updateTime = member(o, 'updateTime');
  if (name === undefined && fields === undefined && createTime === undefined && updateTime === undefined) return undefined;
  if (typeof name !== 'string' || !parseDocumentName(name)) {
    throw new PayloadError(SHAPE, `${path}.name`, `must be projects/P/databases/D/documents/PATH, not ${describe(name)}`);
  }
  const created = optionalTime(createTime, path, 'createTime');
  const updated = optionalTime(updateTime, path, 'updateTime');
  try {
    return document(name, fieldsOfJson(fields, 0), created, updated);
  } catch (err) {
    throw payloadErrorOf(err, `${path}.fields`);
  }
}

function optionalTime(v: unknown, path: string, key: string): string | undefined {
  if (v === undefined) return undefined;
  try {
    return checkedTimestampText(v);
  } catch (err) {
    throw new PayloadError(SHAPE, `${path}.${key}`, (err as Error).message);
  }
}

export function document(name: string, fields: FirestoreFields, createTime: string | undefined, updateTime: string | undefined): FirestoreDocument {
  // Assignments, not conditional spreads: a spread is V8's slow path, and this runs twice per event.
  const doc: { name: string; createTime?: string; updateTime?: string; fields: FirestoreFields } = { name, fields };
  if (createTime !== undefined) doc.createTime = createTime;
  if (updateTime !== undefined) doc.updateTime = updateTime;
  return doc;
}

function member(o: JsonObject, key: string): unknown {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return v === null ? undefined : v;
}

export function eventDataOfJson(json: unknown): FirestoreEventData {
  if (!isJsonObject(json)) throw new PayloadError(SHAPE, '', `must be a JSON object, not ${describe(json)}`);
  const value = documentOfJson(member(json, 'value'), 'value');
  const oldValue = documentOfJson(member(json, 'oldValue'), 'oldValue');
  const mask = member(json, 'updateMask');
  let updateMask: readonly string[] = [];
  if (mask !== undefined) {
    if (!isJsonObject(mask)) throw new PayloadError(SHAPE, 'updateMask', `must be an object, not ${describe(mask)}`);
    const paths = member(mask, 'fieldPaths');
    if (paths !== undefined) {
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
        throw new PayloadError(SHAPE, 'updateMask.fieldPaths', 'must be an array of strings');
      }
      updateMask = paths;
    }
  }
  return eventData(value, oldValue, updateMask);
}

export function eventData(value: FirestoreDocument | undefined, oldValue: FirestoreDocument | undefined, updateMask: readonly string[]): FirestoreEventData {
  const data: { value?: FirestoreDocument; oldValue?: FirestoreDocument; updateMask: readonly string[] } = { updateMask };
  if (value) data.value = value;
  if (oldValue) data.oldValue = oldValue;
  return data;
}
