/**
 * Every setting in one declarative table (after functions-framework's
 * options.ts): environment variable, default, and how to read it. Read once at
 * start-up.
 */
export interface Settings {
  /** Routes file (YAML or JSON). Without it, a default route sends every event to `log`. */
  readonly routesFile?: string;
  /** Deadline for a route on one event unless the route sets its own: below Pub/Sub's default 10 s ack deadline. */
  readonly routeTimeoutMs: number;
  /** Project for trace ids in log entries; else the project the event names. */
  readonly project?: string;

  // Hardening: every one off unless set.
  /** Verify OIDC bearer tokens (on when AUTH_OIDC=true or an audience or email list is set). */
  readonly authOidc: boolean;
  /** Accepted audiences; empty: the URL the request came to (Pub/Sub's default audience). */
  readonly authAudiences: readonly string[];
  /** Service-account emails allowed to call (lower-cased); empty: any verified email. */
  readonly authEmails: readonly string[];
  /** Where the token-signing certificates come from (PEM map, as Google serves it). */
  readonly authCertsUrl: string;
  readonly authClockSkewSeconds: number;
  /** The X-Api-Key value to require (usually a secret reference). */
  readonly authApiKey?: string;
  /** `memory` (per instance) or `firestore` (shared); used by routes marked idempotent. */
  readonly idempotencyStore: 'memory' | 'firestore';
  readonly idempotencyCollection: string;
  /** How long a done key is remembered: at least the subscription's retention (7 days by default). */
  readonly idempotencyTtlMs: number;
  /** Added to a route's deadline to make the lease of a running lock (renewed while the handler runs). */
  readonly idempotencyLeaseMarginMs: number;
  /** A handler that ignores its abort keeps its lock renewed this long after it started at most (see route/idempotency/heartbeat.ts). */
  readonly idempotencyMaxHoldMs: number;
  /** Bounds of the memory store: past either, the oldest done keys are forgotten (a WARNING says so). */
  readonly idempotencyMemoryMaxKeys: number;
  readonly idempotencyMemoryMaxBytes: number;
  /** Topic for acknowledged-but-unhandled deliveries (`projects/P/topics/T` or T). */
  readonly deadLetterTopic?: string;
  /** With this many delivery attempts, a failing event is dead-lettered and acknowledged. */
  readonly deadLetterMaxAttempts?: number;
  /** Largest request body accepted; larger ones answer 413. */
  readonly maxBodyBytes?: number;
  /** Whole-event deadline, below the subscription's ack deadline; past it the answer is 503. */
  readonly eventDeadlineMs?: number;
  /** How long SIGTERM waits for requests in flight (Cloud Run allows 10 s). */
  readonly shutdownGraceMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Setting<K extends keyof Settings> {
  readonly key: K;
  readonly env: readonly string[];
  readonly parse: (value: string, name: string) => Settings[K];
  readonly default?: Settings[K];
}

const text = (v: string) => v;
const positiveSeconds = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}="${v}" is not a positive number of seconds`);
  return Math.round(n * 1000);
};

const list = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== '');
const flag = (v: string, name: string) => {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name}="${v}" is not true or false`);
};
const positiveInteger = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}="${v}" is not a positive integer`);
  return n;
};
const storeKind = (v: string, name: string) => {
  if (v !== 'memory' && v !== 'firestore') throw new Error(`${name}="${v}" is not memory or firestore`);
  return v;
};

const SETTINGS: readonly Setting<keyof Settings>[] = [
  { key: 'routesFile', env: ['ROUTES_FILE'], parse: text },
  { key: 'routeTimeoutMs', env: ['ROUTE_TIMEOUT_SECONDS'], parse: positiveSeconds, default: 9000 },
  { key: 'project', env: ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'GCP_PROJECT'], parse: text },
  { key: 'authOidc', env: ['AUTH_OIDC'], parse: flag, default: false },
  { key: 'authAudiences', env: ['AUTH_OIDC_AUDIENCE'], parse: list, default: [] },
  { key: 'authEmails', env: ['AUTH_OIDC_EMAILS'], parse: (v: string) => list(v).map((e) => e.toLowerCase()), default: [] },
  { key: 'authCertsUrl', env: ['AUTH_OIDC_CERTS_URL'], parse: text, default: 'https://www.googleapis.com/oauth2/v1/certs' },
  { key: 'authClockSkewSeconds', env: ['AUTH_CLOCK_SKEW_SECONDS'], parse: positiveInteger, default: 30 },
  { key: 'authApiKey', env: ['AUTH_API_KEY'], parse: text },
  { key: 'idempotencyStore', env: ['IDEMPOTENCY_STORE'], parse: storeKind, default: 'memory' },
  { key: 'idempotencyCollection', env: ['IDEMPOTENCY_COLLECTION'], parse: text, default: 'eventarc-router-idempotency' },
  { key: 'idempotencyTtlMs', env: ['IDEMPOTENCY_TTL_SECONDS'], parse: positiveSeconds, default: 7 * 24 * 3600 * 1000 },
  { key: 'idempotencyLeaseMarginMs', env: ['IDEMPOTENCY_LEASE_MARGIN_SECONDS'], parse: positiveSeconds, default: 5000 },
  // Pub/Sub's longest ack deadline and retry backoff: by then every redelivery has waited its longest.
  { key: 'idempotencyMaxHoldMs', env: ['IDEMPOTENCY_MAX_HOLD_SECONDS'], parse: positiveSeconds, default: 600_000 },
  { key: 'idempotencyMemoryMaxKeys', env: ['IDEMPOTENCY_MEMORY_MAX_KEYS'], parse: positiveInteger, default: 100_000 },
  { key: 'idempotencyMemoryMaxBytes', env: ['IDEMPOTENCY_MEMORY_MAX_BYTES'], parse: positiveInteger, default: 64 * 1024 * 1024 },
  { key: 'deadLetterTopic', env: ['DEAD_LETTER_TOPIC'], parse: text },
  { key: 'deadLetterMaxAttempts', env: ['DEAD_LETTER_MAX_ATTEMPTS'], parse: positiveInteger },
  { key: 'maxBodyBytes', env: ['MAX_BODY_BYTES'], parse: positiveInteger },
  { key: 'eventDeadlineMs', env: ['EVENT_DEADLINE_SECONDS'], parse: positiveSeconds },
  { key: 'shutdownGraceMs', env: ['SHUTDOWN_GRACE_SECONDS'], parse: positiveSeconds, default: 8000 },
] as Setting<keyof Settings>[];

export function readSettings(env: Env): Settings {
  const settings: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const name = s.env.find((n) => env[n] !== undefined && env[n] !== '');
    const value = name !== undefined ? s.parse(env[name]!, name) : s.default;
    if (value !== undefined) settings[s.key] = value;
  }
  // OIDC is implied by naming who or what a token must be for.
  if ((settings['authAudiences'] as string[]).length > 0 || (settings['authEmails'] as string[]).length > 0) settings['authOidc'] = true;
  return settings as unknown as Settings;
}
