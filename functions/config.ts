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
  /** Verify OIDC bearer tokens (on when AUTH_OIDC=true or an audience, email or subject list is set). */
  readonly authOidc: boolean;
  /** Accepted audiences: required with OIDC, never taken from the request. */
  readonly authAudiences: readonly string[];
  /** Service-account emails allowed to call (lower-cased); with OIDC, this or authSubjects is required. */
  readonly authEmails: readonly string[];
  /** Token subjects (`sub`, a service account's unique id) allowed to call. */
  readonly authSubjects: readonly string[];
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
  /**
   * Largest request body accepted; larger ones answer 413, refused while reading. 16 MiB by
   * default: Pub/Sub's largest push is 10 MB of data, base64 (at most 14 MB) in a JSON envelope with
   * up to 100 attributes (about 0.13 MB, more when escaped) and the message fields; Eventarc's
   * events are smaller. Read before secrets are resolved: never a secret reference.
   */
  readonly maxBodyBytes: number;
  /**
   * Request-body bytes one instance holds at once (at least maxBodyBytes); past it a request
   * answers 503 and is redelivered. 24 MiB by default: one largest body and many small ones.
   */
  readonly maxBodyBytesInFlight: number;
  /** Largest request head (request line and headers); larger ones answer 431. Admits a noWrapper push's 100 attributes as headers. */
  readonly maxHeaderBytes: number;
  /** How long a caller may take to send the headers, and then the body; slower ones answer 408 and are disconnected. */
  readonly receiveTimeoutMs: number;
  /** Whole-event deadline, below the subscription's ack deadline; past it the answer is 503. */
  readonly eventDeadlineMs?: number;
  /** How long SIGTERM waits for requests in flight (Cloud Run allows 10 s). */
  readonly shutdownGraceMs: number;
  /** host:port of a local Secret Manager stand-in (plain HTTP, no credentials), as PUBSUB_EMULATOR_HOST is for Pub/Sub. */
  readonly secretManagerEmulatorHost?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Setting<K extends keyof Settings> {
  readonly key: K;
  readonly env: readonly string[];
  readonly parse: (value: string, name: string) => Settings[K];
  readonly default?: Settings[K];
  /** Present but empty or blank is an error, not "unset": an empty secret must not turn auth off. */
  readonly security?: true;
}

const text = (v: string) => v;
const positiveSeconds = (v: string, name: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}="${v}" is not a positive number of seconds`);
  return Math.round(n * 1000);
};

const list = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== '');
/** A security list that names nothing (`,`) is a mistake, not "anyone". */
const namedList = (v: string, name: string) => {
  const items = list(v);
  if (items.length === 0) throw new Error(`${name} is set but names nothing`);
  return items;
};
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
  { key: 'authOidc', env: ['AUTH_OIDC'], parse: flag, default: false, security: true },
  { key: 'authAudiences', env: ['AUTH_OIDC_AUDIENCE'], parse: namedList, default: [], security: true },
  { key: 'authEmails', env: ['AUTH_OIDC_EMAILS'], parse: (v: string, name: string) => namedList(v, name).map((e) => e.toLowerCase()), default: [], security: true },
  { key: 'authSubjects', env: ['AUTH_OIDC_SUBJECTS'], parse: namedList, default: [], security: true },
  { key: 'authCertsUrl', env: ['AUTH_OIDC_CERTS_URL'], parse: text, default: 'https://www.googleapis.com/oauth2/v1/certs', security: true },
  { key: 'authClockSkewSeconds', env: ['AUTH_CLOCK_SKEW_SECONDS'], parse: positiveInteger, default: 30, security: true },
  { key: 'authApiKey', env: ['AUTH_API_KEY'], parse: text, security: true },
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
  { key: 'maxBodyBytes', env: ['MAX_BODY_BYTES'], parse: positiveInteger, default: 16 * 1024 * 1024 },
  { key: 'maxBodyBytesInFlight', env: ['MAX_BODY_BYTES_IN_FLIGHT'], parse: positiveInteger, default: 24 * 1024 * 1024 },
  { key: 'maxHeaderBytes', env: ['MAX_HEADER_BYTES'], parse: positiveInteger, default: 160 * 1024 },
  { key: 'receiveTimeoutMs', env: ['RECEIVE_TIMEOUT_SECONDS'], parse: positiveSeconds, default: 30_000 },
  { key: 'eventDeadlineMs', env: ['EVENT_DEADLINE_SECONDS'], parse: positiveSeconds },
  { key: 'shutdownGraceMs', env: ['SHUTDOWN_GRACE_SECONDS'], parse: positiveSeconds, default: 8000 },
  { key: 'secretManagerEmulatorHost', env: ['SECRET_MANAGER_EMULATOR_HOST'], parse: text },
] as Setting<keyof Settings>[];

function readRow<K extends keyof Settings>(env: Env, s: Setting<K>): Settings[K] | undefined {
  if (s.security) {
    const blank = s.env.find((n) => env[n] !== undefined && env[n]!.trim() === '');
    if (blank !== undefined) throw new Error(`${blank} is set but empty: give it a value or remove it (an empty security setting is never read as "off")`);
  }
  const name = s.env.find((n) => env[n] !== undefined && env[n] !== '');
  if (name === undefined) return s.default;
  try {
    return s.parse(env[name]!, name);
  } catch (err) {
    // A security setting's value may have come from a secret: say what is wrong, not what it is.
    if (s.security) throw new Error((err as Error).message.replace(/^(\w+)=".*" is /s, '$1 is '));
    throw err;
  }
}

/** One setting, for what runs before the whole table can be read (secret resolution). */
export function readSetting<K extends keyof Settings>(env: Env, key: K): Settings[K] | undefined {
  return readRow(env, SETTINGS.find((s) => s.key === key) as unknown as Setting<K>);
}

/** With OIDC on, a token must be for us and from someone named: neither may default to "anyone". */
function checkOidc(settings: Record<string, unknown>): void {
  if (settings['authOidc'] !== true) return;
  if ((settings['authAudiences'] as string[]).length === 0) {
    throw new Error('AUTH_OIDC is on but AUTH_OIDC_AUDIENCE is not set: set it to the audience of the push subscription or trigger token (typically the service URL)');
  }
  if ((settings['authEmails'] as string[]).length === 0 && (settings['authSubjects'] as string[]).length === 0) {
    throw new Error('AUTH_OIDC is on but neither AUTH_OIDC_EMAILS nor AUTH_OIDC_SUBJECTS is set: name the service accounts allowed to call');
  }
}

export function readSettings(env: Env): Settings {
  const settings: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const value = readRow(env, s);
    if (value !== undefined) settings[s.key] = value;
  }
  // OIDC is implied by naming who or what a token must be for.
  if (['authAudiences', 'authEmails', 'authSubjects'].some((k) => (settings[k] as string[]).length > 0)) settings['authOidc'] = true;
  checkOidc(settings);
  return settings as unknown as Settings;
}

/** One setting from the same table, for what must be known before the rest (the receive limits, before secrets are resolved). */
export function readSettingBeforeSecrets<K extends keyof Settings>(env: Env, key: K): Settings[K] {
  const s = SETTINGS.find((row) => row.key === key)!;
  const name = s.env.find((n) => env[n] !== undefined && env[n] !== '');
  return (name !== undefined ? s.parse(env[name]!, name) : s.default) as Settings[K];
}
