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
  constructor(
    readonly reference: string,
    cause: string,
  ) {
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
    3: 'INVALID_ARGUMENT',
    4: 'DEADLINE_EXCEEDED',
    5: 'NOT_FOUND',
    7: 'PERMISSION_DENIED',
    14: 'UNAVAILABLE',
    16: 'UNAUTHENTICATED',
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  if (typeof e.code === 'number') return codes[e.code] ?? `code ${e.code}`;
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);
  return first || (typeof e.name === 'string' ? e.name : 'error');
}

/**
 * The real client; with `emulatorHost` (SECRET_MANAGER_EMULATOR_HOST), its REST
 * transport over plain HTTP to that host with a placeholder token, for local runs and tests.
 */
export async function defaultSecretAccessor(emulatorHost?: string): Promise<SecretAccessor> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  if (emulatorHost === undefined) return new SecretManagerServiceClient();
  const { OAuth2Client } = await import('google-auth-library');
  const url = new URL(`http://${emulatorHost}`);
  const authClient = new OAuth2Client();
  authClient.credentials = { access_token: 'emulator' };
  const options = { fallback: true, apiEndpoint: url.hostname, port: Number(url.port || 80), protocol: 'http', authClient };
  return new SecretManagerServiceClient(options as never);
}

/** The payload as text; an empty or blank one is refused: as a key or allow-list it would mean "no check". */
function payloadText(ref: SecretReference, data: Uint8Array | string): string {
  const value = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  if (value.trim() === '') throw new SecretResolutionError(ref.text, value === '' ? 'the secret is empty' : 'the secret is only whitespace');
  return value;
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
      resolved.set(ref.text, payloadText(ref, data));
    }),
  );
  return resolved;
}
