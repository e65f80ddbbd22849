/**
 * Every environment variable the router reads, once: its name(s), kind (type
 * and check), default and README text (after functions-framework's options.ts).
 * No other module reads process.env: they get typed settings from here. The
 * README's configuration tables are generated from this table (npm run docs:settings).
 */
import { isCredentialEntry, type CredentialEntry } from './registry/credentials';

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables to read: those given (tests; startApp, after resolving references), else the process's. */
export function environment(given?: Env): Env {
  return given ?? process.env;
}

/** Thrown by a kind: what is wrong, said after the variable's name (and its value when `quoted`). */
class Refused extends Error {
  constructor(
    readonly problem: string,
    readonly quoted = true,
  ) {
    super(problem);
  }
}

/** How a variable's text becomes a value, and how the README shows a value. */
export interface Kind<T> {
  parse(text: string): T;
  show(value: T): string;
}

const text: Kind<string> = { parse: (v) => v, show: (v) => `\`${v}\`` };
const trimmed: Kind<string> = { parse: (v) => v.trim(), show: (v) => `\`${v}\`` };
const positiveInteger = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Refused('is not a positive integer');
  return n;
};
const count: Kind<number> = { parse: positiveInteger, show: String };
const KIB = 1024;
const MIB = 1024 * 1024;
const bytes: Kind<number> = { parse: positiveInteger, show: (n) => (n % MIB === 0 ? `${n / MIB} MiB` : n % KIB === 0 ? `${n / KIB} KiB` : String(n)) };
/** Written in seconds, held in milliseconds. */
const seconds: Kind<number> = {
  parse: (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Refused('is not a positive number of seconds');
    return Math.round(n * 1000);
  },
  show: (ms) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : String(ms / 1000)),
};
const port: Kind<number> = {
  parse: (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Refused('is not a port number');
    return n;
  },
  show: String,
};
const flag: Kind<boolean> = {
  parse: (v) => {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    throw new Refused('is not true or false');
  },
  show: String,
};
const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
/** A security list that names nothing (`,`) is a mistake, not "anyone". */
const namedList: Kind<readonly string[]> = {
  parse: (v) => {
    const items = list(v);
    if (items.length === 0) throw new Refused('is set but names nothing', false);
    return items;
  },
  show: (v) => v.join(', '),
};
const emails: Kind<readonly string[]> = { parse: (v) => namedList.parse(v).map((e) => e.toLowerCase()), show: (v) => namedList.show(v) };
type StoreKind = 'memory' | 'firestore';
const store: Kind<StoreKind> = {
  parse: (v) => {
    if (v !== 'memory' && v !== 'firestore') throw new Refused('is not memory or firestore');
    return v;
  },
  show: (v) => `\`${v}\``,
};
type Protocol = 'http' | 'https';
/** "https" and "https://" alike: people copy either from the nginx template. */
const protocol: Kind<Protocol> = {
  parse: (v) => {
    const p =
      v
        .trim()
        .replace(/:(\/\/)?$/, '')
        .toLowerCase() || 'https';
    if (p !== 'http' && p !== 'https') throw new Refused('is not http or https');
    return p;
  },
  show: (v) => `\`${v}\``,
};
const urlPath: Kind<string> = {
  parse: (v) => {
    const p = v.trim();
    return p === '' ? '/' : p.startsWith('/') ? p : `/${p}`;
  },
  show: (v) => `\`${v}\``,
};
/** Never quoted in a message: the list holds passwords. */
const credentials: Kind<readonly CredentialEntry[]> = {
  parse: (v) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new Refused('is not JSON', false);
    }
    if (!Array.isArray(parsed) || !parsed.every(isCredentialEntry)) {
      throw new Refused('must be a list of {host, username, password|passwordEnv, realm?} with registry hosts', false);
    }
    return parsed;
  },
  show: (v) => (v.length === 0 ? 'none' : `${v.length} entries`),
};

/** The README's tables, one per section (see scripts/settings-docs.ts). */
export type Section = 'service' | 'auth' | 'limits' | 'local' | 'copy-image';

export interface Row<T> {
  /** The variable, then other names honoured: the first one set (and not empty) wins. */
  readonly names: readonly [string, ...string[]];
  readonly kind: Kind<T>;
  /** The value when no name is set; `undefined`: off. */
  readonly default: T;
  readonly section: Section;
  /** What it does, as the README says it. */
  readonly about: string;
  /** Present but empty or blank stops start-up (an empty secret must not turn a defence off); a refused value is never quoted. */
  readonly security?: true;
  /** Read from the environment as given, before secret references are resolved (so never one): it bounds requests from the first one. */
  readonly beforeSecrets?: true;
  /** Read by another than the service: the copy-image command, or a Google client library from the process environment. */
  readonly readBy?: 'copy-image' | 'client library';
}

const NOBODY: readonly string[] = [];
const MEMORY: StoreKind = 'memory';
const HTTPS: Protocol = 'https';
const NO_CREDENTIALS: readonly CredentialEntry[] = [];

export const SETTINGS = {
  port: {
    names: ['PORT'],
    kind: port,
    default: 8080,
    beforeSecrets: true,
    section: 'service',
    about: 'port the server listens on (Cloud Run sets it; under Functions Framework the framework reads it)',
  },
  routesFile: {
    names: ['ROUTES_FILE'],
    kind: text,
    default: undefined,
    section: 'service',
    about: 'routes file (YAML or JSON); without it every event goes to `log`, or to `forward` with `PROXY_HOST`',
  },
  // Below Pub/Sub's default 10 s ack deadline.
  routeTimeoutMs: {
    names: ['ROUTE_TIMEOUT_SECONDS'],
    kind: seconds,
    default: 9000,
    section: 'service',
    about: "a route's deadline unless it sets `timeoutSeconds`",
  },
  eventDeadlineMs: {
    names: ['EVENT_DEADLINE_SECONDS'],
    kind: seconds,
    default: undefined,
    section: 'service',
    about: 'whole-event deadline (keep it below the ack deadline): answers 503 and aborts the routes',
  },
  shutdownGraceMs: {
    names: ['SHUTDOWN_GRACE_SECONDS'],
    kind: seconds,
    default: 8000,
    section: 'service',
    about: 'on SIGTERM, new requests get 503 and those in flight get this long (Cloud Run gives 10 s), then exit 0',
  },
  project: {
    names: ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'GCP_PROJECT'],
    kind: text,
    default: undefined,
    section: 'service',
    about: 'project for trace ids in logs, the idempotency store and dead letters; else the project the event names',
  },
  proxyHost: {
    names: ['PROXY_HOST'],
    kind: trimmed,
    default: undefined,
    section: 'service',
    about: 'without a routes file, forward every event to this `host[:port]` (drop-in for the nginx proxy)',
  },
  proxyProtocol: {
    names: ['PROXY_PROTOCOL'],
    kind: protocol,
    default: HTTPS,
    section: 'service',
    about: '`http` or `https` (`https://` accepted) for `PROXY_HOST`',
  },
  proxyPath: { names: ['PROXY_PATH'], kind: urlPath, default: '/', section: 'service', about: 'path on `PROXY_HOST`' },

  authOidc: {
    names: ['AUTH_OIDC'],
    kind: flag,
    default: false,
    security: true,
    section: 'auth',
    about:
      'require a Google OIDC bearer token, as Pub/Sub push and Eventarc send (implied by the three below); needs an audience and an allow-list, else start-up stops',
  },
  authAudiences: {
    names: ['AUTH_OIDC_AUDIENCE'],
    kind: namedList,
    default: NOBODY,
    security: true,
    section: 'auth',
    about: 'accepted audiences (`aud`), comma-separated; required with OIDC, never taken from the request',
  },
  authEmails: {
    names: ['AUTH_OIDC_EMAILS'],
    kind: emails,
    default: NOBODY,
    security: true,
    section: 'auth',
    about: 'allowed service-account emails (`email_verified` required)',
  },
  authSubjects: {
    names: ['AUTH_OIDC_SUBJECTS'],
    kind: namedList,
    default: NOBODY,
    security: true,
    section: 'auth',
    about: "allowed token subjects (`sub`, a service account's unique id); this or `AUTH_OIDC_EMAILS` is required with OIDC",
  },
  authCertsUrl: {
    names: ['AUTH_OIDC_CERTS_URL'],
    kind: text,
    default: 'https://www.googleapis.com/oauth2/v1/certs',
    security: true,
    section: 'auth',
    about: 'signing certificates (PEM map, as Google serves it)',
  },
  authClockSkewSeconds: {
    names: ['AUTH_CLOCK_SKEW_SECONDS'],
    kind: count,
    default: 30,
    security: true,
    section: 'auth',
    about: 'allowed lateness past `exp`, in seconds',
  },
  authApiKey: {
    names: ['AUTH_API_KEY'],
    kind: text,
    default: undefined,
    security: true,
    section: 'auth',
    about: 'require `X-Api-Key` equal to this (use a secret reference; compared in constant time); either credential passes',
  },
  idempotencyStore: {
    names: ['IDEMPOTENCY_STORE'],
    kind: store,
    default: MEMORY,
    section: 'auth',
    about: 'for routes marked idempotent: `memory` (per instance) or `firestore` (shared across instances)',
  },
  idempotencyCollection: {
    names: ['IDEMPOTENCY_COLLECTION'],
    kind: text,
    default: 'eventarc-router-idempotency',
    section: 'auth',
    about: 'Firestore collection of the idempotency keys',
  },
  // At least the subscription's retention (7 days by default).
  idempotencyTtlMs: {
    names: ['IDEMPOTENCY_TTL_SECONDS'],
    kind: seconds,
    default: 7 * 86_400_000,
    section: 'auth',
    about: 'how long done keys are kept (set a TTL policy on the field `expireAt`)',
  },
  idempotencyLeaseMarginMs: {
    names: ['IDEMPOTENCY_LEASE_MARGIN_SECONDS'],
    kind: seconds,
    default: 5000,
    section: 'auth',
    about:
      "a running lock's lease is the route's deadline plus this; renewed while the handler runs, it is how long a crashed instance's lock blocks redeliveries",
  },
  // Pub/Sub's longest ack deadline and retry backoff: by then every redelivery has waited its longest (see route/idempotency/heartbeat.ts).
  idempotencyMaxHoldMs: {
    names: ['IDEMPOTENCY_MAX_HOLD_SECONDS'],
    kind: seconds,
    default: 600_000,
    section: 'auth',
    about:
      'a handler that ignores its abort keeps its lock this long after it started at most; then an ERROR says its lock lapses and a redelivery may run the route while it still runs',
  },
  idempotencyMemoryMaxKeys: {
    names: ['IDEMPOTENCY_MEMORY_MAX_KEYS'],
    kind: count,
    default: 100_000,
    section: 'auth',
    about:
      'bound of the memory store in keys: past it the oldest done keys are forgotten with a WARNING, and a redelivery of a forgotten key runs again; running locks are never dropped (a full store answers 503)',
  },
  idempotencyMemoryMaxBytes: {
    names: ['IDEMPOTENCY_MEMORY_MAX_BYTES'],
    kind: bytes,
    default: 64 * MIB,
    section: 'auth',
    about: 'bound of the memory store in bytes, as `IDEMPOTENCY_MEMORY_MAX_KEYS`',
  },
  deadLetterTopic: {
    names: ['DEAD_LETTER_TOPIC'],
    kind: text,
    default: undefined,
    section: 'auth',
    about:
      "publish rejected deliveries (the raw request without credentials, and the reason) to this topic (`projects/P/topics/T` or `T`): data `{reason, eventId, request: {method, path, headers, body or bodyBase64, bodyLength, bodySha256, truncated?}}`, the whole body when it fits Pub/Sub's 10 MB (else a 9 MB prefix); attributes `reason` and `eventId` cut to 1,024 bytes of UTF-8. If the topic is unreachable, missing or forbidden the answer is 503 (redelivered); a letter the topic refuses for what it is (`INVALID_ARGUMENT`) is logged once with the request instead and acknowledged",
  },
  deadLetterMaxAttempts: {
    names: ['DEAD_LETTER_MAX_ATTEMPTS'],
    kind: count,
    default: undefined,
    section: 'auth',
    about: 'at this `deliveryAttempt`, a failing event is dead-lettered and acknowledged',
  },

  // Pub/Sub's largest push is 10 MB of data, base64 (at most 14 MB) in a JSON envelope with up to 100 attributes (about 0.13 MB, more when escaped).
  maxBodyBytes: {
    names: ['MAX_BODY_BYTES'],
    kind: bytes,
    default: 16 * MIB,
    beforeSecrets: true,
    section: 'limits',
    about:
      "larger bodies are answered 413 and the connection closed: a declared `Content-Length` before a byte is read, a chunked body as soon as it passes the limit. The default admits Pub/Sub's largest push (10 MB of data is at most 14 MB in base64, plus the envelope and 100 attributes) and Eventarc's; below it, such messages are redelivered until the subscription's dead-letter policy",
  },
  // One largest body and many small ones.
  maxBodyBytesInFlight: {
    names: ['MAX_BODY_BYTES_IN_FLIGHT'],
    kind: bytes,
    default: 24 * MIB,
    beforeSecrets: true,
    section: 'limits',
    about:
      'request bodies one instance holds at once (at least `MAX_BODY_BYTES`); past it a request is answered 503 and closed, and Pub/Sub redelivers it later',
  },
  maxHeaderBytes: {
    names: ['MAX_HEADER_BYTES'],
    kind: bytes,
    default: 160 * KIB,
    beforeSecrets: true,
    section: 'limits',
    about:
      'larger request heads are answered 431; admits a noWrapper push with `writeMetadata` and 100 attributes of 256-byte names and 1 KB values. More than 256 headers are answered 431 too',
  },
  receiveTimeoutMs: {
    names: ['RECEIVE_TIMEOUT_SECONDS'],
    kind: seconds,
    default: 30_000,
    beforeSecrets: true,
    section: 'limits',
    about: 'a head, and then a body, that takes longer to arrive is answered 408 and the connection closed; idle keep-alive connections are not affected',
  },

  secretManagerEmulatorHost: {
    names: ['SECRET_MANAGER_EMULATOR_HOST'],
    kind: text,
    default: undefined,
    beforeSecrets: true,
    section: 'local',
    about: '`host:port` of a local Secret Manager stand-in (plain HTTP, no credentials), for local runs and tests only',
  },
  storageEmulatorHost: {
    names: ['STORAGE_EMULATOR_HOST'],
    kind: text,
    default: undefined,
    section: 'local',
    about: "where `copy-object`'s Cloud Storage client sends requests unless the route sets `apiEndpoint` (the client also reads it itself)",
  },
  pubsubEmulatorHost: {
    names: ['PUBSUB_EMULATOR_HOST'],
    kind: text,
    default: undefined,
    readBy: 'client library',
    section: 'local',
    about: '`host:port` of a Pub/Sub emulator, for dead letters',
  },
  firestoreEmulatorHost: {
    names: ['FIRESTORE_EMULATOR_HOST'],
    kind: text,
    default: undefined,
    readBy: 'client library',
    section: 'local',
    about: '`host:port` of a Firestore emulator, for `IDEMPOTENCY_STORE=firestore`',
  },

  registryCredentials: {
    names: ['EVENTARC_ROUTER_REGISTRY_CREDENTIALS'],
    kind: credentials,
    default: NO_CREDENTIALS,
    readBy: 'copy-image',
    section: 'copy-image',
    about:
      'JSON list of `{host, username, password | passwordEnv, realm?}` for non-Google registries (prefer `passwordEnv`, the name of a variable holding the password)',
  },
} satisfies Record<string, Row<unknown>>;

type Table = typeof SETTINGS;
type Key = keyof Table;
type ValueOf<R> = R extends { kind: Kind<infer T>; default: infer D } ? T | D : never;
type Values = { readonly [K in Key]: ValueOf<Table[K]> };
/** The same table, seen per key (so a generic key's row has that key's value type). */
const ROWS: { readonly [K in Key]: Row<Values[K]> } = SETTINGS;

type KeysWhere<P> = { [K in Key]: Table[K] extends P ? K : never }[Key];
type ServiceKey = Exclude<Key, KeysWhere<{ readBy: string }>>;
/** What the service reads: every row not read by another. */
export type Settings = Pick<Values, ServiceKey>;
/** Read before secret references are resolved. */
export type SettingsBeforeSecrets = Pick<Values, KeysWhere<{ beforeSecrets: true }>>;
export type CopyImageSettings = Pick<Values, KeysWhere<{ readBy: 'copy-image' }>>;

/** Every row, in the table's order (README, tests). */
export const ROW_LIST: readonly Row<unknown>[] = Object.values(SETTINGS);

function readRow<T>(env: Env, row: Row<T>): T {
  if (row.security) {
    const blank = row.names.find((n) => env[n] !== undefined && env[n].trim() === '');
    if (blank !== undefined) throw new Error(`${blank} is set but empty: give it a value or remove it (an empty security setting is never read as "off")`);
  }
  for (const name of row.names) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    try {
      return row.kind.parse(value);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      // A security setting's value may have come from a secret: say what is wrong, not what it is (and carry no cause that would).
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`${name}${err.quoted && !row.security ? `="${value}"` : ''} ${err.problem}`);
    }
  }
  return row.default;
}

/** One setting, for what runs before the whole table can be read (finding secret references). */
export function readSetting<K extends Key>(env: Env, key: K): Values[K] {
  return readRow(env, ROWS[key]);
}

/** The rows marked beforeSecrets, from the environment as given. */
export function readSettingsBeforeSecrets(env: Env): SettingsBeforeSecrets {
  const read = <K extends Key>(key: K) => readSetting(env, key);
  return {
    port: read('port'),
    maxBodyBytes: read('maxBodyBytes'),
    maxBodyBytesInFlight: read('maxBodyBytesInFlight'),
    maxHeaderBytes: read('maxHeaderBytes'),
    receiveTimeoutMs: read('receiveTimeoutMs'),
    secretManagerEmulatorHost: read('secretManagerEmulatorHost'),
  };
}

export function readCopyImageSettings(env: Env): CopyImageSettings {
  return { registryCredentials: readSetting(env, 'registryCredentials') };
}

/** With OIDC on, a token must be for us and from someone named: neither may default to "anyone". */
function checkOidc(settings: Settings): void {
  if (!settings.authOidc) return;
  if (settings.authAudiences.length === 0) {
    throw new Error(
      'AUTH_OIDC is on but AUTH_OIDC_AUDIENCE is not set: set it to the audience of the push subscription or trigger token (typically the service URL)',
    );
  }
  if (settings.authEmails.length === 0 && settings.authSubjects.length === 0) {
    throw new Error('AUTH_OIDC is on but neither AUTH_OIDC_EMAILS nor AUTH_OIDC_SUBJECTS is set: name the service accounts allowed to call');
  }
}

/** Every service setting; the object literal lists each key so the compiler holds it complete (no cast). */
export function readSettings(env: Env): Settings {
  const read = <K extends Key>(key: K) => readSetting(env, key);
  const authAudiences = read('authAudiences');
  const authEmails = read('authEmails');
  const authSubjects = read('authSubjects');
  const settings: Settings = {
    port: read('port'),
    routesFile: read('routesFile'),
    routeTimeoutMs: read('routeTimeoutMs'),
    eventDeadlineMs: read('eventDeadlineMs'),
    shutdownGraceMs: read('shutdownGraceMs'),
    project: read('project'),
    proxyHost: read('proxyHost'),
    proxyProtocol: read('proxyProtocol'),
    proxyPath: read('proxyPath'),
    // OIDC is implied by naming who or what a token must be for.
    authOidc: read('authOidc') || authAudiences.length > 0 || authEmails.length > 0 || authSubjects.length > 0,
    authAudiences,
    authEmails,
    authSubjects,
    authCertsUrl: read('authCertsUrl'),
    authClockSkewSeconds: read('authClockSkewSeconds'),
    authApiKey: read('authApiKey'),
    idempotencyStore: read('idempotencyStore'),
    idempotencyCollection: read('idempotencyCollection'),
    idempotencyTtlMs: read('idempotencyTtlMs'),
    idempotencyLeaseMarginMs: read('idempotencyLeaseMarginMs'),
    idempotencyMaxHoldMs: read('idempotencyMaxHoldMs'),
    idempotencyMemoryMaxKeys: read('idempotencyMemoryMaxKeys'),
    idempotencyMemoryMaxBytes: read('idempotencyMemoryMaxBytes'),
    deadLetterTopic: read('deadLetterTopic'),
    deadLetterMaxAttempts: read('deadLetterMaxAttempts'),
    maxBodyBytes: read('maxBodyBytes'),
    maxBodyBytesInFlight: read('maxBodyBytesInFlight'),
    maxHeaderBytes: read('maxHeaderBytes'),
    receiveTimeoutMs: read('receiveTimeoutMs'),
    secretManagerEmulatorHost: read('secretManagerEmulatorHost'),
    storageEmulatorHost: read('storageEmulatorHost'),
  };
  checkOidc(settings);
  return settings;
}
