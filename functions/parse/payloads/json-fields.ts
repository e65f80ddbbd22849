/**
 * Typed reads of fields of parsed JSON, each failing as a PayloadError that names
 * the field. Checked by hand, not by a schema library: the payload objects are
 * read, never copied (a copy by assignment would turn a `__proto__` member into a
 * prototype), and a read costs no allocation.
 */
import { PayloadError } from '../errors';

export type JsonObject = Readonly<Record<string, unknown>>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** An own member (inherited names such as `constructor` are absent); null counts as absent, as in proto3 JSON. */
function member(o: JsonObject, key: string): unknown {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  return v === null ? undefined : v;
}

export function objectField(o: JsonObject, key: string, shape: string, path: string): JsonObject | undefined {
  const v = member(o, key);
  if (v === undefined || isJsonObject(v)) return v;
  throw new PayloadError(shape, at(path, key), `must be an object, not ${describe(v)}`);
}

export function stringField(o: JsonObject, key: string, shape: string, path: string): string | undefined {
  const v = member(o, key);
  if (v === undefined || typeof v === 'string') return v;
  throw new PayloadError(shape, at(path, key), `must be a string, not ${describe(v)}`);
}

export function booleanField(o: JsonObject, key: string, shape: string, path: string): boolean | undefined {
  const v = member(o, key);
  if (v === undefined || typeof v === 'boolean') return v;
  throw new PayloadError(shape, at(path, key), `must be a boolean, not ${describe(v)}`);
}

export function arrayField(o: JsonObject, key: string, shape: string, path: string): readonly unknown[] | undefined {
  const v = member(o, key);
  if (v === undefined || Array.isArray(v)) return v;
  throw new PayloadError(shape, at(path, key), `must be an array, not ${describe(v)}`);
}

export function stringArrayField(o: JsonObject, key: string, shape: string, path: string): readonly string[] | undefined {
  const v = arrayField(o, key, shape, path);
  v?.forEach((item, i) => {
    if (typeof item !== 'string') throw new PayloadError(shape, `${at(path, key)}.${i}`, `must be a string, not ${describe(item)}`);
  });
  return v as readonly string[] | undefined;
}

/** Any JSON value but null (request, response, metadata: passed on as parsed). */
export function jsonField(o: JsonObject, key: string): unknown {
  return member(o, key);
}

/** Sets a member whatever its name: assigning `__proto__` would replace the prototype and lose the member. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}
