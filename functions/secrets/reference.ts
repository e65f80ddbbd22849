/**
 * Secret Manager references in configuration values: `sm://PROJECT/SECRET`,
 * `sm://PROJECT/SECRET#VERSION`, or the full resource name
 * `projects/P/secrets/S[/versions/V]`. Without a version, `latest`.
 */
export interface SecretReference {
  /** As written in the configuration: the only thing any message may name. */
  readonly text: string;
  /** `projects/P/secrets/S/versions/V`, what accessSecretVersion takes. */
  readonly versionName: string;
}

const SHORT = /^sm:\/\/([a-z0-9-]{4,30}|\d+)\/([A-Za-z0-9_-]{1,255})(?:#([A-Za-z0-9_-]+))?$/;
const FULL = /^projects\/([a-z0-9-]{4,30}|\d+)\/secrets\/([A-Za-z0-9_-]{1,255})(?:\/versions\/([A-Za-z0-9_-]+))?$/;

export class SecretReferenceError extends Error {}

export function secretReferenceOf(value: string): SecretReference | undefined {
  const m = SHORT.exec(value) ?? FULL.exec(value);
  if (!m) {
    // A value that means to be a reference but is malformed must not pass as a literal (it would be sent as the key).
    if (value.startsWith('sm://')) throw new SecretReferenceError(`"${value}" is not a valid secret reference (sm://PROJECT/SECRET[#VERSION])`);
    return undefined;
  }
  return { text: value, versionName: `projects/${m[1]}/secrets/${m[2]}/versions/${m[3] ?? 'latest'}` };
}

/** Every reference among the string leaves of a value (env map, parsed routes file). */
export function collectReferences(value: unknown, into: Map<string, SecretReference> = new Map()): Map<string, SecretReference> {
  if (typeof value === 'string') {
    const ref = secretReferenceOf(value);
    if (ref) into.set(ref.text, ref);
  } else if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectReferences(item, into);
  }
  return into;
}

/** Replaces each reference leaf with its resolved value. */
export function substitute<T>(value: T, resolved: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return (resolved.get(value) ?? value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => substitute(v, resolved)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substitute(v, resolved)])) as T;
  }
  return value;
}
