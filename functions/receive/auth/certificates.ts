/**
 * The token-signing certificates (PEM map, as https://www.googleapis.com/oauth2/v1/certs
 * serves it), fetched with Node's fetch. Our own cache rather than OAuth2Client's:
 * the source is configurable and its failures must answer 503 (Pub/Sub retries),
 * never 401, and never hold requests on a dead URL.
 *
 * - Fresh for the issuer's Cache-Control max-age (at least a second, at most a day).
 * - Past that, the copy keeps serving while one refresh runs in the background, and
 *   through an outage for up to a day past freshness (stale-if-error).
 * - No usable copy: requests wait for the one shared fetch, bounded by its timeout;
 *   after a failure, they are refused at once until the refetch interval has passed.
 * - A kid not in the copy: one refetch, at most one per refetch interval across all requests.
 */
export type PemCertificates = Readonly<Record<string, string>>;

/** No usable certificates: the token can be neither accepted nor refused. */
export class CertificatesUnavailableError extends Error {
  constructor(cause: string) {
    super(`signing certificates unavailable: ${cause}`);
    this.name = 'CertificatesUnavailableError';
  }
}

export interface CertificateSource {
  /** A usable set (fresh or stale); rejects with CertificatesUnavailableError when there is none. */
  get(): Promise<PemCertificates>;
  /** The set after a refetch for a key id the current set lacks, unless one ran within the interval. */
  refetchFor(kid: string): Promise<PemCertificates>;
}

export interface CertificateSourceOptions {
  readonly fetchTimeoutMs?: number;
  readonly refetchIntervalMs?: number;
  readonly maxStaleMs?: number;
  readonly now?: () => number;
  /** Told once per failed fetch, with whether a stale copy still serves. */
  readonly onFetchFailure?: (message: string, servingStale: boolean) => void;
}

const DEFAULT_MAX_AGE_MS = 3600_000;
const DAY_MS = 24 * 3600_000;
/** So that max-age=0 or no-store cannot make every request fetch. */
const MIN_FRESH_MS = 1000;

interface Copy {
  readonly certs: PemCertificates;
  readonly freshUntil: number;
  readonly usableUntil: number;
}

/** How long the issuer lets us keep the set: max-age, 0 for no-store/no-cache. */
export function maxAgeMs(cacheControl: string | null): number {
  const value = cacheControl ?? '';
  if (/(^|,)\s*no-(store|cache)\b/i.test(value)) return 0;
  const seconds = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?/i.exec(value)?.[1];
  return seconds !== undefined ? Number(seconds) * 1000 : DEFAULT_MAX_AGE_MS;
}

/** A PEM map with at least one key, or an error naming what is wrong (never the body). */
function pemMapOf(body: unknown): PemCertificates {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('the body is not a JSON object');
  const entries = Object.entries(body);
  if (entries.length === 0 || entries.some(([, pem]) => typeof pem !== 'string')) throw new Error('the body is not a map of key id to PEM certificate');
  return Object.freeze(Object.fromEntries(entries));
}

export function createCertificateSource(url: string, options: CertificateSourceOptions = {}): CertificateSource {
  const { fetchTimeoutMs = 2000, refetchIntervalMs = 10_000, maxStaleMs = DAY_MS, now = Date.now, onFetchFailure } = options;
  let copy: Copy | undefined;
  let inFlight: Promise<PemCertificates> | undefined;
  let failedAt: number | undefined;
  let kidRefetchAt: number | undefined;

  const fetchCopy = async (): Promise<Copy> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const certs = pemMapOf(await res.json());
    const freshFor = Math.min(Math.max(maxAgeMs(res.headers.get('cache-control')), MIN_FRESH_MS), DAY_MS);
    const fetchedAt = now();
    return { certs, freshUntil: fetchedAt + freshFor, usableUntil: fetchedAt + freshFor + maxStaleMs };
  };

  /** The one fetch all callers share; a failure is remembered so the next waits out the interval. */
  const refresh = (): Promise<PemCertificates> =>
    (inFlight ??= fetchCopy()
      .then((fetched) => {
        copy = fetched;
        failedAt = undefined;
        return fetched.certs;
      })
      .catch((err: unknown) => {
        failedAt = now();
        const cause = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${fetchTimeoutMs} ms` : err.message) : String(err);
        onFetchFailure?.(`${url}: ${cause}`, copy !== undefined && now() < copy.usableUntil);
        throw new CertificatesUnavailableError(cause);
      })
      .finally(() => (inFlight = undefined)));

  const recentlyFailed = (t: number) => failedAt !== undefined && t - failedAt < refetchIntervalMs;

  return {
    async get() {
      const t = now();
      if (copy && t < copy.freshUntil) return copy.certs;
      if (copy && t < copy.usableUntil) {
        // Stale: serve it, and refresh without making this request wait.
        if (!inFlight && !recentlyFailed(t)) refresh().catch(() => undefined);
        return copy.certs;
      }
      if (!inFlight && recentlyFailed(t)) throw new CertificatesUnavailableError('the last fetch failed; retrying after the interval');
      return refresh();
    },
    async refetchFor(kid) {
      if (copy && Object.hasOwn(copy.certs, kid)) return copy.certs;
      if (inFlight) return inFlight;
      const t = now();
      if (kidRefetchAt !== undefined && t - kidRefetchAt < refetchIntervalMs) return copy?.certs ?? this.get();
      kidRefetchAt = t;
      return refresh();
    },
  };
}
