/**
 * The token-signing certificates (PEM map, as https://www.googleapis.com/oauth2/v1/certs
 * serves it), fetched with Node's fetch and cached for the Cache-Control max-age.
 * Our own fetch rather than OAuth2Client's: the source is configurable and the
 * cache and its failures are ours to see.
 */
export type PemCertificates = Readonly<Record<string, string>>;

export interface CertificateSource {
  get(): Promise<PemCertificates>;
}

const DEFAULT_MAX_AGE_MS = 3600_000;

export function createCertificateSource(url: string, now: () => number = Date.now): CertificateSource {
  let cached: { certs: PemCertificates; expiresAt: number } | undefined;
  let inFlight: Promise<PemCertificates> | undefined;
  const fetchCerts = async (): Promise<PemCertificates> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`certificates: ${res.status} from ${url}`);
    const certs = (await res.json()) as PemCertificates;
    const maxAge = /max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1];
    cached = { certs, expiresAt: now() + (maxAge !== undefined ? Number(maxAge) * 1000 : DEFAULT_MAX_AGE_MS) };
    return certs;
  };
  return {
    async get() {
      if (cached && cached.expiresAt > now()) return cached.certs;
      // One fetch at a time however many requests arrive together.
      inFlight ??= fetchCerts().finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}
