/**
 * Resolves Secret Manager references once, at start, with
 * @google-cloud/secret-manager. A reference that cannot be resolved stops
 * start-up with an error naming the reference, never a value.
 */
import type { SecretReference } from './reference';

/** The one call we use; the real SecretManagerServiceClient has it, tests inject their own. */
export interface SecretAccessor {
  accessSecretVersion(request: { name: string }): Promise<[{ payload?: { data?: Uint8Array | string | null } | null }, ...unknown[]]>;
}

export class SecretResolutionError extends Error {
  constructor(readonly reference: string, cause: string) {
    super(`secret ${reference} cannot be resolved: ${cause}`);
    this.name = 'SecretResolutionError';
  }
}

/**
 * Names the failure by its status code; other errors (no credentials, no network)
 * by their first line. A failed access returned no payload, so none can be quoted.
 */
function causeOf(err: unknown): string {
  const e = err as { code?: unknown; details?: unknown; name?: unknown };
  // gRPC codes, and the HTTP statuses the REST transport reports instead.
  const codes: Record<number, string> = {
    3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED',
    400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
  };
  if (typeof e.code === 'number') return codes[e.code] ?? `code ${e.code}`;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
  return first || (typeof e.name === 'string' ? e.name : 'error');
}

export async function defaultSecretAccessor(): Promise<SecretAccessor> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  return new SecretManagerServiceClient() as unknown as SecretAccessor;
}

export async function resolveReferences(
  references: ReadonlyMap<string, SecretReference>,
  accessor: () => Promise<SecretAccessor>,
): Promise<Map<string, string>> {
  const resolved = new Map<string, string>();
  if (references.size === 0) return resolved;
  const client = await accessor();
  await Promise.all(
    [...references.values()].map(async (ref) => {
      let data: Uint8Array | string | null | undefined;
      try {
        const [version] = await client.accessSecretVersion({ name: ref.versionName });
        data = version.payload?.data;
      } catch (err) {
        throw new SecretResolutionError(ref.text, causeOf(err));
      }
      if (data === undefined || data === null) throw new SecretResolutionError(ref.text, 'the version has no payload');
      resolved.set(ref.text, typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
    }),
  );
  return resolved;
}
