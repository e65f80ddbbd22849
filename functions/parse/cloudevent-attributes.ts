/**
 * CloudEvents 1.0 context attributes as the shapes carry them: which names are
 * legal, the required ones, and setting one whatever its name.
 */
import { PayloadError } from './errors';

/**
 * CloudEvents 1.0 attribute names: lower-case ASCII letters and digits only. Checked
 * at intake because names become `ce-*` header names when forwarded: `my ext` would
 * make a request that can never be built.
 */
export function isAttributeName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** Sets an attribute whatever its name: plain assignment of `__proto__` would replace the prototype, losing it. */
export function setAttribute(attributes: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
  else attributes[name] = value;
}

/** Refuses a name that is no CloudEvents attribute name, naming it (cut) in the error. */
export function requireAttributeName(name: string, shape: string, prefix: string): void {
  if (!isAttributeName(name))
    throw new PayloadError(shape, `${prefix}${JSON.stringify(name.slice(0, 64))}`, 'is not a CloudEvents attribute name (lower-case a-z and 0-9 only)');
}

/** The required context attributes of CloudEvents 1.0. */
export function requireContextAttributes(attributes: Readonly<Record<string, string>>, shape: string, prefix: string): void {
  for (const name of ['specversion', 'id', 'type', 'source']) {
    if (!attributes[name]) throw new PayloadError(shape, `${prefix}${name}`, 'is required');
  }
  if (attributes['specversion'] !== '1.0') {
    throw new PayloadError(shape, `${prefix}specversion`, `"${attributes['specversion']}" is not supported (only 1.0)`);
  }
}

/** ce-* header values may be percent-encoded (CloudEvents HTTP binding); the raw value is kept elsewhere. */
export function percentDecoded(value: string | undefined): string | undefined {
  if (value === undefined || !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
