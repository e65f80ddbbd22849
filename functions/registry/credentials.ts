/**
 * Where registry credentials come from: the routes file or the environment
 * (username and password per host), and for Artifact Registry and Container
 * Registry hosts an access token from Application Default Credentials.
 * google-auth-library is loaded on first use only: it is heavy and off the
 * cold-start path.
 */
import { z } from 'zod';
import { isGoogleRegistryHost } from './reference';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

export type CredentialSource = (host: string) => Promise<BasicCredentials | undefined>;

export const credentialEntrySchema = z
  .object({
    host: z.string().min(1),
    username: z.string().min(1),
    /** Prefer passwordEnv: a routes file is not a secret store. */
    password: z.string().optional(),
    passwordEnv: z.string().optional(),
  })
  .refine((c) => (c.password === undefined) !== (c.passwordEnv === undefined), 'give exactly one of password or passwordEnv');

export type CredentialEntry = z.infer<typeof credentialEntrySchema>;

/** The environment variable holding a JSON list of credential entries. */
export const CREDENTIALS_ENV = 'EVENTARC_ROUTER_REGISTRY_CREDENTIALS';

export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): CredentialEntry[] {
  const text = env[CREDENTIALS_ENV];
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${CREDENTIALS_ENV} is not JSON`); // never echo the value: it holds passwords
  }
  const result = z.array(credentialEntrySchema).safeParse(parsed);
  if (!result.success) throw new Error(`${CREDENTIALS_ENV} must be a list of {host, username, password|passwordEnv}`);
  return result.data;
}

/** ADC access tokens, presented the way Google's docker credential helper does. */
export function applicationDefaultCredentials(): CredentialSource {
  let auth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;
  return async () => {
    auth ??= import('google-auth-library').then(
      ({ GoogleAuth }) => new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
    );
    const token = await (await auth).getAccessToken();
    if (!token) throw new Error('Application Default Credentials gave no access token');
    return { username: 'oauth2accesstoken', password: token };
  };
}

/** Explicit entries win; Google registry hosts fall back to ADC; anything else is anonymous. */
export function credentialSource(
  entries: readonly CredentialEntry[],
  env: Readonly<Record<string, string | undefined>>,
  adc: CredentialSource = applicationDefaultCredentials(),
): CredentialSource {
  return async (host) => {
    const entry = entries.find((e) => e.host === host);
    if (entry) {
      const password = entry.password ?? env[entry.passwordEnv!];
      if (password === undefined) throw new Error(`credentials for ${host}: environment variable ${entry.passwordEnv} is not set`);
      return { username: entry.username, password };
    }
    return isGoogleRegistryHost(host) ? adc(host) : undefined;
  };
}
