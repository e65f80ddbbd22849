/** Strict decoders: Buffer.from(x, 'base64') silently drops bad characters, which would lose data unnoticed. */
import { PayloadError } from '../errors';
import { mediaType } from '../../support/media-type';

// 1 for the 64 characters of the base64 alphabet (RFC 4648 section 4), by char code.
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;

/**
 * Padded base64, checked in one pass without a regular expression: a regex over a
 * repeated group backtracks per group and threw on ~4.5 M characters (3.35 MB of
 * data), where Pub/Sub allows 10 MB.
 */
export function isBase64(value: string): boolean {
  const length = value.length;
  if (length % 4 !== 0) return false;
  let end = length;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d && end === length - 1) end--;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] === 0) return false;
  }
  return true;
}

export function decodeBase64(value: string, shape: string, path: string): Buffer {
  if (!isBase64(value)) throw new PayloadError(shape, path, 'is not valid base64');
  return Buffer.from(value, 'base64');
}

export function parseJson(bytes: Buffer | string, shape: string, path: string): unknown {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PayloadError(shape, path, `is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * JSON text of a parsed value. JSON.parse takes any nesting, JSON.stringify recurses
 * and throws past a few thousand levels: such a value is a payload we cannot handle,
 * never an exception that answers 500 on every redelivery.
 */
export function stringifyJson(value: unknown, shape: string, path: string): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new PayloadError(shape, path, `cannot be encoded as JSON (${(err as Error).message})`);
  }
}

/** The request body as JSON: the server's parse when it made one, else ours. */
export function bodyJsonOf(raw: { readonly body: Buffer; readonly bodyJson?: unknown }, shape: string, path: string): unknown {
  return raw.bodyJson !== undefined ? raw.bodyJson : parseJson(raw.body, shape, path);
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return t === 'application/json' || t === 'text/json' || t.endsWith('+json');
}
