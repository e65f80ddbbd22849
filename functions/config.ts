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

const SETTINGS: readonly Setting<keyof Settings>[] = [
  { key: 'routesFile', env: ['ROUTES_FILE'], parse: text },
  { key: 'routeTimeoutMs', env: ['ROUTE_TIMEOUT_SECONDS'], parse: positiveSeconds, default: 9000 },
  { key: 'project', env: ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'GCP_PROJECT'], parse: text },
] as Setting<keyof Settings>[];

export function readSettings(env: Env): Settings {
  const settings: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const name = s.env.find((n) => env[n] !== undefined && env[n] !== '');
    const value = name !== undefined ? s.parse(env[name]!, name) : s.default;
    if (value !== undefined) settings[s.key] = value;
  }
  return settings as unknown as Settings;
}
