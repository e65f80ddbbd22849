/**
 * Where registry credentials come from: the routes file or the environment
 * (username and password per host), and for Artifact Registry and Container
 * Registry hosts an access token from Application Default Credentials.
 * google-auth-library is loaded on first use only: it is heavy and off the
 * cold-start path.
 */
import { apiHost, canonicalHost, isGoogleRegistryHost } from './reference';
import { onFirstUse } from '../support/on-first-use';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
  /** A token service host (`HOST[:PORT]`) besides the registry's own that may receive these credentials. */
  readonly realm?: string;
}

/**
 * The credentials issued for the registry at `origin` (the URL of the request
 * about to be sent, so the choice is made on the host the request really goes to).
 */
export type CredentialSource = (origin: URL) => Promise<BasicCredentials | undefined>;

/** One host's credentials; prefer passwordEnv: a routes file is not a secret store. */
export interface CredentialEntry {
  readonly host: string;
  readonly username: string;
  readonly password?: string;
  readonly passwordEnv?: string;
  /** The token service's host when it is not the registry's (Docker Hub: auth.docker.io). */
  readonly realm?: string;
}

/** Checked by hand, not with zod: the CLI reads these and zod costs ~50 ms of start-up. */
export function isCredentialEntry(value: unknown): value is CredentialEntry {
  const c = value as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return false;
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  return (
    typeof c.host === 'string' &&
    c.host.length > 0 &&
    typeof c.username === 'string' &&
    c.username.length > 0 &&
    optionalString(c.password) &&
    optionalString(c.passwordEnv) &&
    (c.password === undefined) !== (c.passwordEnv === undefined) &&
    canonicalHost(c.host) !== undefined &&
    (c.realm === undefined || (typeof c.realm === 'string' && canonicalHost(c.realm) !== undefined))
  );
}

/** Docker Hub's token service is on its own host: well known, so its credentials need no `realm`. */
const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_REALM = 'auth.docker.io';

/** ADC access tokens, presented the way Google's docker credential helper does. */
export function applicationDefaultCredentials(): CredentialSource {
  // Loaded on first use; a failed load is tried again by the next copy.
  const auth = onFirstUse(async () => {
    const { GoogleAuth } = await import('google-auth-library');
    return new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  });
  return async () => {
    const token = await (await auth()).getAccessToken();
    if (!token) throw new Error('Application Default Credentials gave no access token');
    return { username: 'oauth2accesstoken', password: token };
  };
}

/**
 * Explicit entries win, matched on the exact canonical host; the exact Google
 * registry hosts over https fall back to ADC; anything else is anonymous.
 */
export function credentialSource(
  entries: readonly CredentialEntry[],
  /** Where a `passwordEnv` is looked up: the environment (see ActionEnvironment.variables). */
  variables: Readonly<Record<string, string | undefined>>,
  adc: CredentialSource = applicationDefaultCredentials(),
): CredentialSource {
  // Keyed as requests name hosts: canonical, and Docker Hub by the host its API answers on.
  const byHost = new Map(entries.map((e) => [apiHost(canonicalHost(e.host) ?? e.host), e] as const));
  return async (origin) => {
    const host = origin.host; // canonical, as reference.ts writes hosts (a default port is dropped by URL)
    const entry = byHost.get(host);
    if (entry) {
      const password = entry.password ?? variables[entry.passwordEnv!];
      if (password === undefined) throw new Error(`credentials for ${host}: environment variable ${entry.passwordEnv} is not set`);
      const realm = entry.realm !== undefined ? canonicalHost(entry.realm) : host === DOCKER_HUB_API ? DOCKER_HUB_REALM : undefined;
      return { username: entry.username, password, ...(realm !== undefined && { realm }) };
    }
    // The runtime's token: only to Google's own registry hosts, only over TLS.
    return origin.protocol === 'https:' && isGoogleRegistryHost(host) ? adc(origin) : undefined;
  };
}
