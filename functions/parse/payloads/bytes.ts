/** Strict decoders: Buffer.from(x, 'base64') silently drops bad characters, which would lose data unnoticed. */
import { PayloadError } from '../errors';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(value: string, shape: string, path: string): Buffer {
  if (!BASE64.test(value)) throw new PayloadError(shape, path, 'is not valid base64');
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

/** The request body as JSON: the server's parse when it made one, else ours. */
export function bodyJsonOf(raw: { readonly body: Buffer; readonly bodyJson?: unknown }, shape: string, path: string): unknown {
  return raw.bodyJson !== undefined ? raw.bodyJson : parseJson(raw.body, shape, path);
}

/** Media types compared without parameters and case: `application/json; charset=utf-8` is JSON. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return t === 'application/json' || t === 'text/json' || t.endsWith('+json');
}
