/**
 * Which request headers are credentials. Used where headers cannot be allow-listed
 * by name: a noWrapper push sends each message attribute as a bare header, so any
 * name may be an attribute. A name is a credential form when it contains one of
 * these words (case-insensitive, as HTTP names are): `authorization` covers
 * authorization, proxy-authorization, x-serverless-authorization,
 * x-forwarded-authorization; `cookie` covers cookie and set-cookie; and so on.
 * Matching words, not names, is deliberate: a new `x-foo-authorization` or
 * `x-bar-token` is excluded without anyone updating a list.
 */
const CREDENTIAL_WORDS = [
  'authorization',
  'authentication',
  'cookie',
  'token',
  'api-key',
  'apikey',
  'api_key',
  'secret',
  'password',
  'passwd',
  'credential',
  'jwt',
  'assertion',
  'signature',
];

export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  for (const word of CREDENTIAL_WORDS) if (lower.includes(word)) return true;
  return false;
}
