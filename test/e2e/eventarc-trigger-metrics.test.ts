/**
 * `eventarc-trigger.sh create metrics`: the log-based metrics and alert policies of
 * docs/observability.md. Run as a user runs it against the stand-in gcloud of
 * test/ship (which keeps what each config file said); every command it runs given to
 * the real Google Cloud CLI (no credentials: exit 1 once every flag parsed, 2 for a bad
 * one); and the metrics' filter and extractors checked against the lines the real
 * service writes, as Cloud Logging would hold them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { startService } from '../support/service';
import { startTarget } from '../support/forward-target';
import { loadRequestFixtures, rawOf } from '../support/fixtures';
import { realGcloudEach } from '../support/gcloud';
import { GcloudStubProject } from '../support/gcloud-stand-in';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'eventarc-trigger.sh');
const P = 'shop-prod-1';
const CHANNEL = `projects/${P}/notificationChannels/4711`;

interface StubState {
  project: string;
  projectNumber: string;
  logMetrics?: Record<string, string>;
  alertPolicies?: { name: string; displayName: string; text: string }[];
  fail: { match: string; stderr: string; code?: number }[];
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A project with the stand-in gcloud first on PATH; run() runs the script in it. */
function project(state: StubState = { project: P, projectNumber: '123456789012', fail: [] }) {
  return new GcloudStubProject(tempDir('metrics-'), SCRIPT, state);
}

const creates = (calls: string[][]) => calls.filter((c) => c.includes('create'));

// The fields of the LogMetric and AlertPolicy resources (Cloud Logging v2, Cloud Monitoring v3) the files may use.
const LOG_METRIC_FIELDS = ['description', 'filter', 'labelExtractors', 'valueExtractor', 'bucketOptions', 'metricDescriptor'];
const ALERT_POLICY_FIELDS = ['displayName', 'documentation', 'combiner', 'conditions', 'alertStrategy', 'notificationChannels', 'userLabels', 'severity'];

describe('create metrics', () => {
  test('on a fresh project: two log-based metrics and three alert policies; a second run changes nothing', () => {
    const w = project();
    const r = w.run('create', 'metrics', `--project=${P}`, '--service=eventarc-router', `--notification-channel=${CHANNEL}`);
    expect([r.status, r.stderr]).toEqual([0, expect.stringMatching(/done, 5 change\(s\)/)]);
    expect(creates(r.calls).map((c) => c.slice(0, 4).join(' '))).toEqual([
      'logging metrics create eventarc_router_route_outcomes',
      'logging metrics create eventarc_router_route_duration',
      'alpha monitoring policies create',
      'alpha monitoring policies create',
      'alpha monitoring policies create',
    ]);
    const state = w.state();
    const outcomes = parseYaml(state.logMetrics!['eventarc_router_route_outcomes']);
    const duration = parseYaml(state.logMetrics!['eventarc_router_route_duration']);
    for (const m of [outcomes, duration]) {
      expect(LOG_METRIC_FIELDS).toEqual(expect.arrayContaining(Object.keys(m)));
      expect(m.labelExtractors).toEqual({ route: 'EXTRACT(jsonPayload.route)', outcome: 'EXTRACT(jsonPayload.outcome)' });
      expect(m.metricDescriptor.labels.map((l: { key: string }) => l.key)).toEqual(['route', 'outcome']);
    }
    expect(outcomes.metricDescriptor).toMatchObject({ metricKind: 'DELTA', valueType: 'INT64' });
    expect(duration.metricDescriptor).toMatchObject({ metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: 'ms' });
    expect(duration.valueExtractor).toBe('EXTRACT(jsonPayload.durationMs)');

    const policies = state.alertPolicies!.map((p) => JSON.parse(p.text));
    expect(policies.map((p) => p.displayName)).toEqual([
      'eventarc-router (service eventarc-router): a route rejected events',
      'eventarc-router (service eventarc-router): a route keeps failing (retried)',
      'eventarc-router (service eventarc-router): a route is slow (p99 over 10000 ms)',
    ]);
    for (const p of policies) {
      expect(ALERT_POLICY_FIELDS).toEqual(expect.arrayContaining(Object.keys(p)));
      expect(p.notificationChannels).toEqual([CHANNEL]);
      const c = p.conditions[0].conditionThreshold;
      expect(c.filter).toContain('resource.label.service_name="eventarc-router"');
      expect(c.aggregations[0].groupByFields).toEqual(['metric.label.route', 'resource.label.service_name']);
    }
    expect(policies[0].conditions[0].conditionThreshold.filter).toBe(
      'metric.type="logging.googleapis.com/user/eventarc_router_route_outcomes" AND resource.type="cloud_run_revision" AND metric.label.outcome="rejected" AND resource.label.service_name="eventarc-router"',
    );
    expect(policies[2].conditions[0].conditionThreshold).toMatchObject({
      filter: expect.stringContaining('user/eventarc_router_route_duration'),
      aggregations: [expect.objectContaining({ perSeriesAligner: 'ALIGN_PERCENTILE_99' })],
      thresholdValue: 10000,
    });

    const again = w.run('create', 'metrics', `--project=${P}`, '--service=eventarc-router', `--notification-channel=${CHANNEL}`);
    expect(again.status).toBe(0);
    expect(creates(again.calls)).toEqual([]);
    expect(again.stderr).toMatch(/nothing changed/);
  });

  test('without --service the policies cover every service; --p99-threshold-ms sets the slow-route threshold', () => {
    const w = project();
    expect(w.run('create', 'metrics', `--project=${P}`, '--p99-threshold-ms=2500').status).toBe(0);
    const policies = w.state().alertPolicies!.map((p) => JSON.parse(p.text));
    expect(policies.map((p) => p.displayName)).toContain('eventarc-router: a route is slow (p99 over 2500 ms)');
    for (const p of policies) {
      expect(p.conditions[0].conditionThreshold.filter).not.toContain('service_name');
      expect(p.notificationChannels).toEqual([]);
    }
    expect(policies[2].conditions[0].conditionThreshold.thresholdValue).toBe(2500);
  });

  test('--dry-run runs nothing and shows each command and the file it would pass', () => {
    const w = project();
    const r = w.run('create', 'metrics', `--project=${P}`, '--dry-run');
    expect([r.status, r.calls]).toEqual([0, []]);
    expect(r.stdout).toMatch(/\[dry-run\] \$ gcloud logging metrics create eventarc_router_route_outcomes --project=shop-prod-1 --config-from-file=\S+\.yaml/);
    expect(r.stdout).toMatch(/\[dry-run\] # {3}valueExtractor: EXTRACT\(jsonPayload\.durationMs\)/);
    expect(r.stdout).toMatch(/\[dry-run\] \$ gcloud alpha monitoring policies create --project=shop-prod-1 --policy-from-file=\S+\.json/);
    expect(r.stderr).toMatch(/dry run; nothing was run/);
  });

  test.each([
    [['--service=Bad_Name'], /invalid --service/],
    [['--notification-channel=channel-1'], /invalid --notification-channel/],
    [['--p99-threshold-ms=0'], /invalid --p99-threshold-ms/],
    [['--p99-threshold-ms=1e4'], /invalid --p99-threshold-ms/],
    [['--region=europe-west1'], /'create metrics' takes --project/],
    [['--destination-run-service=eventarc-router'], /'create metrics' takes --project/],
  ])('%j is refused before any gcloud call', (extra, message) => {
    const r = project().run('create', 'metrics', `--project=${P}`, ...extra);
    expect([r.status, r.calls]).toEqual([2, []]);
    expect(r.stderr).toMatch(message);
  });

  test('the metrics-only options are refused for triggers', () => {
    const r = project().run('create', 'pubsub', `--project=${P}`, '--region=europe-west1', '--destination-run-service=x1', '--service=eventarc-router');
    expect([r.status, r.calls]).toEqual([2, []]);
    expect(r.stderr).toMatch(/apply to 'create metrics' only/);
  });

  test('a failing create stops the run with gcloud’s own message', () => {
    const w = project({
      project: P,
      projectNumber: '1',
      fail: [{ match: 'logging metrics create', stderr: 'ERROR: (gcloud.logging.metrics.create) PERMISSION_DENIED: logging.logMetrics.create' }],
    });
    const r = w.run('create', 'metrics', `--project=${P}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PERMISSION_DENIED/);
    expect(r.calls.filter((c) => c[0] === 'alpha')).toEqual([]);
  });
});

describe('the real gcloud CLI accepts every command create metrics runs', () => {
  test('describe, list and create with the files the script wrote', async () => {
    const w = project();
    const r = w.run('create', 'metrics', `--project=${P}`, '--service=eventarc-router', `--notification-channel=${CHANNEL}`);
    expect(r.status).toBe(0);
    // The script's files are gone once it exits: the stand-in kept their text, written back here for gcloud to read.
    const state = w.state();
    const files = tempDir('metrics-files-');
    let policies = 0;
    const commands = r.calls.map((argv) =>
      argv.map((a) => {
        const config = /^--config-from-file=.*\/([^/]+)\.yaml$/.exec(a);
        if (config) return writeBack(files, `${config[1]}.yaml`, state.logMetrics![config[1]], '--config-from-file');
        // The stand-in keeps the policies in the order they were created.
        if (a.startsWith('--policy-from-file='))
          return writeBack(files, `policy-${policies}.json`, state.alertPolicies![policies++].text, '--policy-from-file');
        return a;
      }),
    );
    expect(commands.filter((c) => c.some((a) => a.startsWith('--config-from-file=') || a.startsWith('--policy-from-file=')))).toHaveLength(5);
    const results = await realGcloudEach(commands);
    expect(results).toHaveLength(commands.length);
    for (const res of results) {
      expect({ ...res, stderr: res.stderr.split('\n')[0] }).toEqual({
        argv: res.argv,
        status: 1,
        stderr: expect.stringMatching(/You do not currently have an active account selected/),
      });
    }
  }, 240000);
});

function writeBack(dir: string, name: string, text: string, flagName: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return `${flagName}=${file}`;
}

// ---------------------------------------------------------------- the filter against the service's own lines

type Entry = { resource: { type: string; labels: Record<string, string> }; severity: string; jsonPayload: Record<string, unknown> };

/** A stdout line as Cloud Logging holds it on Cloud Run: severity, trace and labels lifted out, the rest in jsonPayload. */
function asLogEntry(line: Record<string, unknown>): Entry {
  const jsonPayload: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(line)) if (k !== 'severity' && !k.startsWith('logging.googleapis.com/')) jsonPayload[k] = v;
  return { resource: { type: 'cloud_run_revision', labels: { service_name: 'eventarc-router' } }, severity: String(line['severity']), jsonPayload };
}

function valueAt(entry: Entry, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), entry);
}

/**
 * The Logging query language as far as these filters use it: terms joined by AND,
 * each `FIELD:*` (present), `FIELD="v"` or `FIELD=("a" OR "b")`. Any other form fails
 * the test, so a filter that grows is checked here too.
 */
function matches(filter: string, entry: Entry): boolean {
  return filter.split(' AND ').every((term) => {
    let m = /^([\w.]+):\*$/.exec(term);
    if (m) return valueAt(entry, m[1]) !== undefined;
    m = /^([\w.]+)="([^"]*)"$/.exec(term);
    if (m) return valueAt(entry, m[1]) === m[2];
    m = /^([\w.]+)=\(("[^"]*"(?: OR "[^"]*")*)\)$/.exec(term);
    if (m)
      return m[2]
        .split(' OR ')
        .map((v) => v.slice(1, -1))
        .includes(valueAt(entry, m[1]) as string);
    throw new Error(`filter term not understood by this test: ${term}`);
  });
}

function extract(extractor: string, entry: Entry): unknown {
  const m = /^EXTRACT\(([\w.]+)\)$/.exec(extractor);
  if (!m) throw new Error(`extractor not understood by this test: ${extractor}`);
  return valueAt(entry, m[1]);
}

describe('the metrics read the lines the service writes', () => {
  test('handled, retried and rejected routes of real deliveries: exactly their route lines counted, labels strings, duration a number', async () => {
    const w = project();
    expect(w.run('create', 'metrics', `--project=${P}`).status).toBe(0);
    const outcomes = parseYaml(w.state().logMetrics!['eventarc_router_route_outcomes']) as { filter: string; labelExtractors: Record<string, string> };
    const duration = parseYaml(w.state().logMetrics!['eventarc_router_route_duration']) as { filter: string; valueExtractor: string };

    // A log route and a forward route; the target acknowledges, fails (503: retried) or refuses (400: rejected) by event id.
    const target = await startTarget();
    target.respond = (req) => ({ status: { 'ok-1': 200, 'retry-1': 503, 'reject-1': 400 }[String(req.headers['ce-id'])] ?? 200 });
    const service = await startService({
      routes: JSON.stringify({
        routes: [
          { name: 'audit', match: { kind: 'pubsub.message' }, action: 'log' },
          { name: 'relay', match: { kind: 'pubsub.message' }, action: 'forward', with: { url: `${target.url}/events` } },
        ],
      }),
    });
    try {
      // A push from a subscription with a dead-letter policy: it says which delivery attempt it is (3).
      const push = rawOf(loadRequestFixtures().find((f) => f.name === 'D-push-delivery-metadata')!);
      for (const id of ['ok-1', 'retry-1', 'reject-1']) {
        const body = push.body.toString().replace(/"1036"/g, `"${id}"`);
        const res = await fetch(`${service.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        // Acknowledged (2xx) but for the retried one.
        expect([id, id === 'retry-1' ? res.status === 503 : res.status === 200 || res.status === 204]).toEqual([id, true]);
      }
      const logs = await service.waitForLogs((l) => l.filter((e) => e['route'] !== undefined).length >= 6, 10000);
      const entries = logs.map(asLogEntry);
      const counted = entries.filter((e) => matches(outcomes.filter, e));
      // Exactly the route lines: not the log action's lines, not the events' own WARNING and ERROR lines.
      expect(entries.length).toBeGreaterThan(counted.length);
      expect(counted.map((e) => Object.fromEntries(Object.entries(outcomes.labelExtractors).map(([k, x]) => [k, extract(x, e)]))).sort(byJson)).toEqual(
        [
          { route: 'audit', outcome: 'handled' },
          { route: 'audit', outcome: 'handled' },
          { route: 'audit', outcome: 'handled' },
          { route: 'relay', outcome: 'handled' },
          { route: 'relay', outcome: 'retried' },
          { route: 'relay', outcome: 'rejected' },
        ].sort(byJson),
      );
      for (const e of counted) {
        expect(e.jsonPayload['attempt']).toBe(3);
        expect(e.severity).toBe('INFO');
      }
      const measured = entries.filter((e) => matches(duration.filter, e));
      expect(measured).toHaveLength(6);
      for (const e of measured) {
        const ms = extract(duration.valueExtractor, e);
        expect(typeof ms).toBe('number');
        expect(Number.isFinite(ms) && (ms as number) >= 0).toBe(true);
      }
      // The event lines still carry the failure at its severity, once each.
      expect(entries.filter((e) => e.severity === 'ERROR')).toHaveLength(1);
    } finally {
      await service.stop();
      await target.stop();
    }
  }, 60000);

  test('docs/observability.md shows the filter the script uses', () => {
    const r = project().run('create', 'metrics', `--project=${P}`, '--dry-run');
    const filter = /# {3}filter: '(.*)'$/m.exec(r.stdout)![1];
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'observability.md'), 'utf8');
    expect(doc).toContain(filter);
    expect(doc).toContain('eventarc-trigger.sh create metrics');
  });
});

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
