/**
 * eventarc-trigger.sh, run the way a user runs it, against a stand-in `gcloud` that is first on PATH
 * (test/support/gcloud-stand-in.ts). The stand-in (fixtures/gcloud-stub.js) models one project: it
 * records every argument vector, answers describe/get-iam-policy from its model, says NOT_FOUND / "already exists" like gcloud, and changes
 * the model on create/add/delete, so a second run sees what the first one made.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { realGcloudEach } from '../support/gcloud';
import { GcloudStubProject } from '../support/gcloud-stand-in';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'eventarc-trigger.sh');

const P = 'shop-prod-1';
const N = '123456789012';
const R = 'europe-west1';
const SA = `eventarc-trigger@${P}.iam.gserviceaccount.com`;
const PUBSUB_AGENT = `service-${N}@gcp-sa-pubsub.iam.gserviceaccount.com`;
const GCS_AGENT = `service-${N}@gs-project-accounts.iam.gserviceaccount.com`;
const POLICY_ARGS = ['--flatten=bindings[].members', '--format=csv[no-heading](bindings.role,bindings.members)'];

interface Binding {
  role: string;
  member: string;
}
interface State {
  project: string;
  projectNumber: string;
  projectBindings: Binding[];
  serviceAccounts: string[];
  runServices: Record<string, { region: string; bindings: Binding[] }>;
  functions: Record<string, { region: string; service: string }>;
  buckets: Record<string, string>;
  topics: string[];
  firestoreDatabases?: Record<string, string>;
  triggers: { name: string; location: string; service: string; filters: string[]; pathPatterns?: string[]; contentType?: string }[];
  fail: { match: string; stderr: string; code?: number }[];
}

/** A project as a user has it just after deploying the service: nothing for Eventarc yet. */
function freshProject(): State {
  return {
    project: P,
    projectNumber: N,
    projectBindings: [{ role: 'roles/owner', member: 'user:you@example.com' }],
    serviceAccounts: [],
    runServices: {
      'eventarc-router': { region: R, bindings: [] },
      'router-fn': { region: R, bindings: [] },
    },
    functions: { 'router-fn': { region: R, service: 'router-fn' } },
    buckets: { 'shop-uploads': 'EUROPE-WEST1', 'shop-archive': 'EU' },
    topics: ['orders'],
    firestoreDatabases: { '(default)': 'nam5', 'orders-db': 'europe-west1' },
    triggers: [],
    fail: [],
  };
}

type World = GcloudStubProject<State>;
const worlds: World[] = [];
function world(state: State = freshProject()): World {
  const w = new GcloudStubProject(fs.mkdtempSync(path.join(os.tmpdir(), 'ship-trigger-')), SCRIPT, state);
  worlds.push(w);
  return w;
}
afterAll(() => worlds.forEach((w) => fs.rmSync(w.dir, { recursive: true, force: true })));

/** Split a printed command line the way a POSIX shell would (the script quotes with '...'). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\') {
      cur += line[++i];
      inWord = true;
    } else if (c === ' ') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The gcloud commands the script printed, as argument vectors (without the leading "gcloud"). */
function printed(text: string, prefix = '$ gcloud '): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => shellSplit(l.slice(prefix.length)));
}

const MUTATING = /^(create|add-iam-policy-binding|delete)$/;
const mutations = (calls: string[][]) => calls.filter((c) => c.some((a) => MUTATING.test(a)));
const projectBinding = (role: string, member: string) => [
  'projects',
  'add-iam-policy-binding',
  P,
  `--member=${member}`,
  `--role=${role}`,
  '--condition=None',
  '--format=none',
];

const storageArgs = ['create', 'storage', `--project=${P}`, `--region=${R}`, '--bucket=shop-uploads', '--destination-run-service=eventarc-router'];

describe('create storage trigger on a fresh project', () => {
  test('runs exactly the gcloud commands a careful operator would, in order', () => {
    const w = world();
    const r = w.run(...storageArgs);
    expect(r.stderr).not.toMatch(/unhandled/);
    expect(r.status).toBe(0);
    const name = 'eventarc-router-shop-uploads-finalized';
    expect(r.calls).toEqual([
      ['projects', 'describe', P, '--format=value(projectNumber)'],
      ['storage', 'buckets', 'describe', 'gs://shop-uploads', `--project=${P}`, '--format=value(location)'],
      ['iam', 'service-accounts', 'describe', SA, `--project=${P}`, '--format=value(email)'],
      ['iam', 'service-accounts', 'create', 'eventarc-trigger', `--project=${P}`, '--display-name=Eventarc trigger identity for eventarc-router'],
      ['projects', 'get-iam-policy', P, ...POLICY_ARGS],
      projectBinding('roles/eventarc.eventReceiver', `serviceAccount:${SA}`),
      projectBinding('roles/iam.serviceAccountTokenCreator', `serviceAccount:${PUBSUB_AGENT}`),
      ['storage', 'service-agent', `--project=${P}`],
      projectBinding('roles/pubsub.publisher', `serviceAccount:${GCS_AGENT}`),
      ['run', 'services', 'get-iam-policy', 'eventarc-router', `--region=${R}`, `--project=${P}`, ...POLICY_ARGS],
      [
        'run',
        'services',
        'add-iam-policy-binding',
        'eventarc-router',
        `--region=${R}`,
        `--project=${P}`,
        `--member=serviceAccount:${SA}`,
        '--role=roles/run.invoker',
        '--format=none',
      ],
      ['eventarc', 'triggers', 'describe', name, `--location=${R}`, `--project=${P}`, '--format=value(name)'],
      [
        'eventarc',
        'triggers',
        'create',
        name,
        `--location=${R}`,
        `--project=${P}`,
        '--destination-run-service=eventarc-router',
        `--destination-run-region=${R}`,
        '--event-filters=type=google.cloud.storage.object.v1.finalized',
        '--event-filters=bucket=shop-uploads',
        `--service-account=${SA}`,
      ],
    ]);
    // The project now holds what Eventarc needs.
    const s = w.state();
    expect(s.serviceAccounts).toContain(SA);
    expect(s.triggers).toEqual([
      { name, location: R, service: 'eventarc-router', filters: ['type=google.cloud.storage.object.v1.finalized', 'bucket=shop-uploads'] },
    ]);
    expect(s.runServices['eventarc-router'].bindings).toEqual([{ role: 'roles/run.invoker', member: `serviceAccount:${SA}` }]);
    expect(r.stderr).toMatch(/done, 6 change\(s\)/);
  });

  test('prints every gcloud command it runs, copy-pastable, before running it', () => {
    const w = world();
    const r = w.run(...storageArgs, '--destination-run-path=/events/gcs');
    expect(r.status).toBe(0);
    expect(r.calls.length).toBeGreaterThan(5);
    expect(printed(r.stderr)).toEqual(r.calls);
    expect(r.calls[r.calls.length - 1]).toContain('--destination-run-path=/events/gcs');
  });

  test('--event-type=all makes one trigger per storage event type, in the bucket location', () => {
    const w = world();
    const r = w.run(
      'create',
      'storage',
      `--project=${P}`,
      `--region=${R}`,
      '--bucket=shop-archive',
      '--event-type=all',
      '--destination-run-service=eventarc-router',
    );
    expect(r.status).toBe(0);
    const creates = r.calls.filter((c) => c[0] === 'eventarc' && c[2] === 'create');
    expect(creates.map((c) => [c[3], c[4], c.find((a) => a.startsWith('--event-filters=type='))])).toEqual([
      ['eventarc-router-shop-archive-finalized', '--location=eu', '--event-filters=type=google.cloud.storage.object.v1.finalized'],
      ['eventarc-router-shop-archive-deleted', '--location=eu', '--event-filters=type=google.cloud.storage.object.v1.deleted'],
      ['eventarc-router-shop-archive-archived', '--location=eu', '--event-filters=type=google.cloud.storage.object.v1.archived'],
      ['eventarc-router-shop-archive-metadata-updated', '--location=eu', '--event-filters=type=google.cloud.storage.object.v1.metadataUpdated'],
    ]);
    // The service stays in its own region; only the trigger follows the bucket.
    for (const c of creates) expect(c).toContain(`--destination-run-region=${R}`);
    expect(w.state().triggers).toHaveLength(4);
  });

  test('an explicit --location skips the bucket lookup; --name names the trigger', () => {
    const w = world();
    const r = w.run(...storageArgs, '--location=europe-west1', '--name=uploads', '--event-type=deleted');
    expect(r.status).toBe(0);
    expect(r.calls.some((c) => c[0] === 'storage' && c[1] === 'buckets')).toBe(false);
    expect(w.state().triggers.map((t) => [t.name, t.filters[0]])).toEqual([['uploads', 'type=google.cloud.storage.object.v1.deleted']]);
  });
});

describe('create pubsub and artifact-registry triggers', () => {
  const pubsub = ['create', 'pubsub', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router'];

  test('an existing --transport-topic is checked and used; the Storage agent is left alone', () => {
    const w = world();
    const r = w.run(...pubsub, '--transport-topic=orders');
    expect(r.status).toBe(0);
    expect(r.calls).toContainEqual(['pubsub', 'topics', 'describe', 'orders', `--project=${P}`, '--format=value(name)']);
    expect(r.calls[r.calls.length - 1]).toEqual([
      'eventarc',
      'triggers',
      'create',
      'eventarc-router-pubsub-orders',
      `--location=${R}`,
      `--project=${P}`,
      '--destination-run-service=eventarc-router',
      `--destination-run-region=${R}`,
      '--event-filters=type=google.cloud.pubsub.topic.v1.messagePublished',
      `--transport-topic=projects/${P}/topics/orders`,
      `--service-account=${SA}`,
    ]);
    expect(r.calls.some((c) => c[0] === 'storage')).toBe(false);
    expect(r.calls.some((c) => c.includes('--role=roles/pubsub.publisher'))).toBe(false);
    expect(r.calls.some((c) => c[0] === 'pubsub' && c[2] === 'create')).toBe(false);
    expect(r.calls).toContainEqual(projectBinding('roles/iam.serviceAccountTokenCreator', `serviceAccount:${PUBSUB_AGENT}`));
  });

  test('a full topic path in the same project is accepted', () => {
    const w = world();
    const r = w.run(...pubsub, `--transport-topic=projects/${P}/topics/orders`);
    expect(r.status).toBe(0);
    expect(r.calls[r.calls.length - 1]).toContain(`--transport-topic=projects/${P}/topics/orders`);
  });

  test('a missing topic stops the run and says how to create it; --create-topic creates it', () => {
    const w = world();
    const r = w.run(...pubsub, '--transport-topic=payments');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/topic payments does not exist in project shop-prod-1; create it, or pass --create-topic/);
    expect(r.calls.some((c) => c[0] === 'eventarc')).toBe(false);

    const r2 = w.run(...pubsub, '--transport-topic=payments', '--create-topic');
    expect(r2.status).toBe(0);
    expect(r2.calls).toContainEqual(['pubsub', 'topics', 'create', 'payments', `--project=${P}`]);
    expect(w.state().topics).toContain('payments');
    expect(w.state().triggers.map((t) => t.name)).toEqual(['eventarc-router-pubsub-payments']);
  });

  test('without a topic, Eventarc makes a new one and the script says where to find it', () => {
    const w = world();
    const r = w.run(...pubsub);
    expect(r.status).toBe(0);
    const create = r.calls[r.calls.length - 1];
    expect(create.slice(0, 4)).toEqual(['eventarc', 'triggers', 'create', 'eventarc-router-pubsub']);
    expect(create.some((a) => a.startsWith('--transport-topic'))).toBe(false);
    expect(r.stderr).toMatch(/value\(transport\.pubsub\.topic\)/);
  });

  test('artifact-registry creates the gcr topic when missing and triggers on it', () => {
    const w = world();
    const r = w.run('create', 'artifact-registry', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router');
    expect(r.status).toBe(0);
    expect(r.calls).toContainEqual(['pubsub', 'topics', 'describe', 'gcr', `--project=${P}`, '--format=value(name)']);
    expect(r.calls).toContainEqual(['pubsub', 'topics', 'create', 'gcr', `--project=${P}`]);
    expect(r.calls[r.calls.length - 1]).toEqual([
      'eventarc',
      'triggers',
      'create',
      'eventarc-router-gcr',
      `--location=${R}`,
      `--project=${P}`,
      '--destination-run-service=eventarc-router',
      `--destination-run-region=${R}`,
      '--event-filters=type=google.cloud.pubsub.topic.v1.messagePublished',
      `--transport-topic=projects/${P}/topics/gcr`,
      `--service-account=${SA}`,
    ]);
  });
});

const firestore = ['create', 'firestore', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router'];
const auditLog = ['create', 'audit-log', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router'];

describe('create firestore triggers', () => {
  test('on a fresh project: the trigger lives where the database lives, with the document path pattern', () => {
    const w = world();
    const r = w.run(...firestore, '--document=users/{uid}/orders/{orderId}');
    expect(r.stderr).not.toMatch(/unhandled/);
    expect(r.status).toBe(0);
    const name = 'eventarc-router-firestore-default-written';
    expect(r.calls).toEqual([
      ['projects', 'describe', P, '--format=value(projectNumber)'],
      ['firestore', 'databases', 'describe', '--database=(default)', `--project=${P}`, '--format=value(locationId)'],
      ['iam', 'service-accounts', 'describe', SA, `--project=${P}`, '--format=value(email)'],
      ['iam', 'service-accounts', 'create', 'eventarc-trigger', `--project=${P}`, '--display-name=Eventarc trigger identity for eventarc-router'],
      ['projects', 'get-iam-policy', P, ...POLICY_ARGS],
      projectBinding('roles/eventarc.eventReceiver', `serviceAccount:${SA}`),
      projectBinding('roles/iam.serviceAccountTokenCreator', `serviceAccount:${PUBSUB_AGENT}`),
      ['run', 'services', 'get-iam-policy', 'eventarc-router', `--region=${R}`, `--project=${P}`, ...POLICY_ARGS],
      [
        'run',
        'services',
        'add-iam-policy-binding',
        'eventarc-router',
        `--region=${R}`,
        `--project=${P}`,
        `--member=serviceAccount:${SA}`,
        '--role=roles/run.invoker',
        '--format=none',
      ],
      ['eventarc', 'triggers', 'describe', name, '--location=nam5', `--project=${P}`, '--format=value(name)'],
      [
        'eventarc',
        'triggers',
        'create',
        name,
        '--location=nam5',
        `--project=${P}`,
        '--destination-run-service=eventarc-router',
        `--destination-run-region=${R}`,
        '--event-filters=type=google.cloud.firestore.document.v1.written',
        '--event-filters=database=(default)',
        '--event-filters-path-pattern=document=users/{uid}/orders/{orderId}',
        '--event-data-content-type=application/json',
        `--service-account=${SA}`,
      ],
    ]);
    expect(w.state().triggers).toEqual([
      {
        name,
        location: 'nam5',
        service: 'eventarc-router',
        filters: ['type=google.cloud.firestore.document.v1.written', 'database=(default)'],
        pathPatterns: ['document=users/{uid}/orders/{orderId}'],
        contentType: 'application/json',
      },
    ]);
    // Firestore needs no grant for a Google agent beyond Pub/Sub's.
    expect(r.calls.some((c) => c[0] === 'storage')).toBe(false);
    expect(r.stderr).toMatch(/done, 5 change\(s\)/);
    // Printed before it runs, copy-pastable (braces and parentheses quoted).
    expect(printed(r.stderr)).toEqual(r.calls);
    expect(r.stderr).toContain("'--event-filters-path-pattern=document=users/{uid}/orders/{orderId}'");
  });

  test('several event types on a named database, as protobuf; an exact document is an exact filter', () => {
    const w = world();
    const r = w.run(
      ...firestore,
      '--database=orders-db',
      '--document=/users/alice',
      '--event-type=created',
      '--event-type=deleted.withAuthContext',
      '--data-content-type=protobuf',
    );
    expect(r.status).toBe(0);
    expect(w.state().triggers).toEqual([
      {
        name: 'eventarc-router-firestore-orders-db-created',
        location: R,
        service: 'eventarc-router',
        filters: ['type=google.cloud.firestore.document.v1.created', 'database=orders-db', 'document=users/alice'],
        contentType: 'application/protobuf',
      },
      {
        name: 'eventarc-router-firestore-orders-db-deleted-auth',
        location: R,
        service: 'eventarc-router',
        filters: ['type=google.cloud.firestore.document.v1.deleted.withAuthContext', 'database=orders-db', 'document=users/alice'],
        contentType: 'application/protobuf',
      },
    ]);
  });

  test('full type names are accepted; --location skips the database lookup; a second run changes nothing', () => {
    const w = world();
    const argv = [...firestore, '--location=eur3', '--name=orders', '--event-type=google.cloud.firestore.document.v1.updated', '--document=users/{rest=**}'];
    expect(w.run(...argv).status).toBe(0);
    expect(w.state().triggers.map((t) => [t.name, t.location, t.filters[0], t.pathPatterns])).toEqual([
      ['orders', 'eur3', 'type=google.cloud.firestore.document.v1.updated', ['document=users/{rest=**}']],
    ]);
    const again = w.run(...argv);
    expect(again.status).toBe(0);
    expect(again.calls.some((c) => c[0] === 'firestore')).toBe(false);
    expect(mutations(again.calls)).toEqual([]);
    expect(again.stderr).toMatch(/nothing changed/);
  });

  test("a database that does not exist stops the run with gcloud's message", () => {
    const w = world();
    const r = w.run(...firestore, '--database=missing-db');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NOT_FOUND: Project 'shop-prod-1' or database 'missing-db' does not exist/);
    expect(r.calls.some((c) => c[0] === 'eventarc')).toBe(false);
  });
});

describe('create audit-log triggers', () => {
  const bucketCreate = ['--service-name=storage.googleapis.com', '--method-name=storage.buckets.create'];

  test('filters on service and method, a resource-name pattern as a path pattern; says which logs Eventarc sees', () => {
    const w = world();
    const r = w.run(...auditLog, ...bucketCreate, '--resource-name=projects/_/buckets/{bucket}');
    expect(r.status).toBe(0);
    const name = 'eventarc-router-audit-storage-buckets-create';
    expect(r.calls.some((c) => c[0] === 'firestore' || c[0] === 'storage')).toBe(false);
    expect(r.calls).toContainEqual(projectBinding('roles/eventarc.eventReceiver', `serviceAccount:${SA}`));
    expect(r.calls).toContainEqual(projectBinding('roles/iam.serviceAccountTokenCreator', `serviceAccount:${PUBSUB_AGENT}`));
    expect(r.calls[r.calls.length - 1]).toEqual([
      'eventarc',
      'triggers',
      'create',
      name,
      `--location=${R}`,
      `--project=${P}`,
      '--destination-run-service=eventarc-router',
      `--destination-run-region=${R}`,
      '--event-filters=type=google.cloud.audit.log.v1.written',
      '--event-filters=serviceName=storage.googleapis.com',
      '--event-filters=methodName=storage.buckets.create',
      '--event-filters-path-pattern=resourceName=projects/_/buckets/{bucket}',
      `--service-account=${SA}`,
    ]);
    expect(r.stderr).toMatch(/Admin Activity always, Data Access only where enabled for storage\.googleapis\.com/);
  });

  test('an exact resource name is an exact filter; a global trigger; a long method name makes a short trigger name', () => {
    const w = world();
    const r = w.run(
      ...auditLog,
      '--location=global',
      '--service-name=bigquery.googleapis.com',
      '--method-name=google.cloud.bigquery.v2.JobService.InsertJob',
      '--resource-name=projects/shop-prod-1/datasets/sales',
    );
    expect(r.status).toBe(0);
    const [t] = w.state().triggers;
    expect(t).toEqual({
      name: 'eventarc-router-audit-cloud-bigquery-v2-jobservice-insertjob',
      location: 'global',
      service: 'eventarc-router',
      filters: [
        'type=google.cloud.audit.log.v1.written',
        'serviceName=bigquery.googleapis.com',
        'methodName=google.cloud.bigquery.v2.JobService.InsertJob',
        'resourceName=projects/shop-prod-1/datasets/sales',
      ],
    });
    expect(t.name.length).toBeLessThanOrEqual(63);
  });
});

/**
 * The commands the script runs, given to the real Google Cloud CLI with an empty configuration:
 * without credentials gcloud parses every flag and value, then stops with exit 1 ("no active
 * account"); a flag or value it does not accept is exit 2.
 */
describe('the real gcloud CLI accepts every command the script runs', () => {
  test('firestore and audit-log, every variant of their flags', async () => {
    const runs = [
      [...firestore, '--document=users/{uid}/orders/{orderId}', '--event-type=created.withAuthContext', '--data-content-type=protobuf'],
      [...firestore, '--database=orders-db', '--document=users/alice', '--event-type=deleted'],
      [...firestore, '--destination-function=router-fn'].filter((a) => a !== '--destination-run-service=eventarc-router'),
      [...auditLog, '--service-name=storage.googleapis.com', '--method-name=storage.objects.create', '--resource-name=projects/_/buckets/**/r*.txt'],
      [
        ...auditLog,
        '--service-name=compute.googleapis.com',
        '--method-name=v1.compute.instances.insert',
        '--resource-name=projects/shop-prod-1/zones/europe-west1-b/instances/vm-1',
        '--destination-run-path=/audit',
      ],
    ];
    const commands = new Map<string, string[]>();
    for (const argv of runs) {
      const r = world().run(...argv);
      expect([argv.join(' '), r.status]).toEqual([argv.join(' '), 0]);
      for (const c of r.calls) commands.set(JSON.stringify(c), c);
    }
    const results = await realGcloudEach([...commands.values()]);
    expect(results.length).toBe(commands.size);
    for (const r of results) {
      expect({ argv: r.argv, status: r.status, stderr: r.stderr.split('\n')[0] }).toEqual({
        argv: r.argv,
        status: 1,
        stderr: expect.stringMatching(/You do not currently have an active account selected/),
      });
    }
  }, 240000);
});

describe('destinations', () => {
  test('a 2nd gen function: its Cloud Run service is looked up and gets run.invoker', () => {
    const w = world();
    const r = w.run('create', 'pubsub', `--project=${P}`, `--region=${R}`, '--destination-function=router-fn', '--transport-topic=orders');
    expect(r.status).toBe(0);
    expect(r.calls[1]).toEqual(['functions', 'describe', 'router-fn', '--gen2', `--region=${R}`, `--project=${P}`, '--format=value(serviceConfig.service)']);
    expect(r.calls).toContainEqual([
      'run',
      'services',
      'add-iam-policy-binding',
      'router-fn',
      `--region=${R}`,
      `--project=${P}`,
      `--member=serviceAccount:${SA}`,
      '--role=roles/run.invoker',
      '--format=none',
    ]);
    const create = r.calls[r.calls.length - 1];
    expect(create).toContain('--destination-run-service=router-fn');
    expect(create[3]).toBe('router-fn-pubsub-orders');
  });

  test('--destination-run-region places the service apart from the trigger', () => {
    const w = world();
    const s = w.state();
    s.runServices['eventarc-router'].region = 'us-central1';
    w.setState(s);
    const r = w.run(...pubsub(), '--destination-run-region=us-central1');
    expect(r.status).toBe(0);
    const create = r.calls[r.calls.length - 1];
    expect(create).toContain(`--location=${R}`);
    expect(create).toContain('--destination-run-region=us-central1');
  });

  function pubsub() {
    return ['create', 'pubsub', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router'];
  }
});

describe('idempotency', () => {
  test('a second run changes nothing and says so', () => {
    const w = world();
    expect(w.run(...storageArgs, '--event-type=all').status).toBe(0);
    const after = w.state();
    const r = w.run(...storageArgs, '--event-type=all');
    expect(r.status).toBe(0);
    expect(mutations(r.calls)).toEqual([]);
    expect(w.state()).toEqual(after);
    expect(r.stderr).toMatch(/nothing changed/);
    expect(r.stderr).toMatch(/service account eventarc-trigger@shop-prod-1\.iam\.gserviceaccount\.com already exists; unchanged/);
    expect(r.stderr).toMatch(/trigger eventarc-router-shop-uploads-finalized already exists; unchanged/);
  });

  test('only what is missing is created (service account and default Pub/Sub grant already there)', () => {
    const s = freshProject();
    s.serviceAccounts.push(SA);
    s.projectBindings.push(
      { role: 'roles/eventarc.eventReceiver', member: `serviceAccount:${SA}` },
      { role: 'roles/iam.serviceAccountTokenCreator', member: `serviceAccount:${PUBSUB_AGENT}` },
    );
    const w = world(s);
    const r = w.run(...storageArgs);
    expect(r.status).toBe(0);
    expect(mutations(r.calls).map((c) => c.slice(0, 3).concat(c.filter((a) => a.startsWith('--role='))))).toEqual([
      ['projects', 'add-iam-policy-binding', P, '--role=roles/pubsub.publisher'],
      ['run', 'services', 'add-iam-policy-binding', '--role=roles/run.invoker'],
      ['eventarc', 'triggers', 'create'],
    ]);
    expect(r.stderr).toMatch(/done, 3 change\(s\)/);
  });

  test('"already exists" from a concurrent run counts as present, not as a failure', () => {
    const s = freshProject();
    s.fail = [
      {
        match: 'eventarc triggers create',
        stderr: `ERROR: (gcloud.eventarc.triggers.create) ALREADY_EXISTS: Resource 'projects/${P}/locations/${R}/triggers/eventarc-router-shop-uploads-finalized' already exists`,
      },
    ];
    const w = world(s);
    const r = w.run(...storageArgs);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/trigger eventarc-router-shop-uploads-finalized already exists; unchanged/);
  });
});

describe('--dry-run', () => {
  test('runs nothing and prints the commands it would run', () => {
    const w = world();
    const before = w.state();
    const r = w.run(...storageArgs, '--dry-run');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(w.state()).toEqual(before);
    const plan = printed(r.stdout, '[dry-run] $ gcloud ');
    expect(plan).toContainEqual([
      'eventarc',
      'triggers',
      'create',
      'eventarc-router-shop-uploads-finalized',
      `--location=${R}`,
      `--project=${P}`,
      '--destination-run-service=eventarc-router',
      `--destination-run-region=${R}`,
      '--event-filters=type=google.cloud.storage.object.v1.finalized',
      '--event-filters=bucket=shop-uploads',
      `--service-account=${SA}`,
    ]);
    expect(plan).toContainEqual([
      'iam',
      'service-accounts',
      'create',
      'eventarc-trigger',
      `--project=${P}`,
      '--display-name=Eventarc trigger identity for eventarc-router',
    ]);
    expect(r.stderr).toMatch(/dry run; nothing was run/);
  });

  test('an existing --transport-topic is planned, not refused, since nothing can be checked', () => {
    const w = world();
    const r = w.run(
      'create',
      'pubsub',
      `--project=${P}`,
      `--region=${R}`,
      '--transport-topic=orders',
      '--destination-run-service=eventarc-router',
      '--dry-run',
    );
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    const plan = printed(r.stdout, '[dry-run] $ gcloud ');
    expect(plan).toContainEqual(['pubsub', 'topics', 'describe', 'orders', `--project=${P}`, '--format=value(name)']);
    expect(plan.some((c) => c[0] === 'pubsub' && c[2] === 'create')).toBe(false);
    expect(plan[plan.length - 1]).toContain(`--transport-topic=projects/${P}/topics/orders`);
  });

  test('works without any gcloud installed', () => {
    const w = world();
    // A PATH with the ordinary tools the script uses and no gcloud at all.
    const tools = path.join(w.dir, 'tools');
    fs.mkdirSync(tools);
    for (const t of ['bash', 'basename', 'tr', 'sed', 'grep', 'cat', 'rm', 'mktemp']) {
      const found = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
      fs.symlinkSync(found, path.join(tools, t));
    }
    const r = spawnSync(path.join(tools, 'bash'), [SCRIPT, ...storageArgs, '--location=eu', '--dry-run'], {
      encoding: 'utf8',
      env: { PATH: tools },
    });
    expect(r.stderr).not.toMatch(/not found|not on PATH/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[dry-run\] \$ gcloud eventarc triggers create eventarc-router-shop-uploads-finalized --location=eu /);
  });
});

describe('input checks happen before any gcloud call', () => {
  const base = { kind: 'storage', project: P, region: R, bucket: 'shop-uploads', service: 'eventarc-router' };
  function args(o: Partial<typeof base>, extra: string[] = []): string[] {
    const a = { ...base, ...o };
    const out = ['create', a.kind, `--project=${a.project}`, `--region=${a.region}`];
    if (a.kind === 'storage') out.push(`--bucket=${a.bucket}`);
    out.push(`--destination-run-service=${a.service}`);
    return out.concat(extra);
  }

  const invalid: [string, string[], RegExp][] = [
    ['upper-case project', args({ project: 'Shop-Prod' }), /invalid --project 'Shop-Prod'/],
    ['short project', args({ project: 'shop' }), /invalid --project 'shop'/],
    ['project ending in a hyphen', args({ project: 'shop-prod-' }), /invalid --project/],
    ['region with a space', args({ region: 'europe west1' }), /invalid --region/],
    ['multi-region as --region', args({ region: 'EU' }), /invalid --region 'EU'/],
    ['service with underscore', args({ service: 'eventarc_router' }), /invalid --destination-run-service 'eventarc_router'/],
    ['service starting with a hyphen', args({ service: '-router' }), /invalid --destination-run-service/],
    ['service of 50 characters', args({ service: 'r'.repeat(50) }), /invalid --destination-run-service/],
    ['bucket of 2 characters', args({ bucket: 'ab' }), /bucket name must be at least 3 characters/],
    ['bucket with capitals', args({ bucket: 'Shop-Uploads' }), /may contain only lowercase letters/],
    ['bucket starting with goog', args({ bucket: 'goog-uploads' }), /must not start with 'goog'/],
    ['bucket containing google', args({ bucket: 'my-google-files' }), /must not contain 'google'/],
    ['bucket that is an IP address', args({ bucket: '192.168.5.4' }), /must not look like an IP address/],
    ['bucket of 64 characters', args({ bucket: 'b'.repeat(64) }), /at most 63 characters/],
    ['bucket starting with a hyphen', args({ bucket: '-uploads' }), /must start and end with a letter or digit/],
    ['bucket with an empty dotted part', args({ bucket: 'shop..uploads' }), /empty dot-separated parts/],
    ['bucket with a 64-character dotted part', args({ bucket: `${'a'.repeat(64)}.example.com` }), /each dot-separated part must be at most 63/],
    ['unknown event type', args({}, ['--event-type=created']), /invalid --event-type 'created'/],
    ['unknown option', args({}, ['--destination=eventarc-router']), /unknown option '--destination'/],
    ['path with a space', args({}, ['--destination-run-path=/a b']), /invalid --destination-run-path/],
    ['bad trigger name', args({}, ['--name=Uploads']), /invalid --name 'Uploads'/],
    ['bad service account', args({}, ['--service-account=x']), /invalid --service-account 'x'/],
    ['storage without bucket', ['create', 'storage', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router'], /--bucket is required/],
    ['no destination', ['create', 'pubsub', `--project=${P}`, `--region=${R}`], /a destination is required/],
    [
      'two destinations',
      ['create', 'pubsub', `--project=${P}`, `--region=${R}`, '--destination-run-service=a-svc', '--destination-function=b-fn'],
      /either --destination-run-service or --destination-function/,
    ],
    ['topic starting with goog', args({ kind: 'pubsub' }, ['--transport-topic=goog-orders']), /invalid --transport-topic 'goog-orders'/],
    ['topic in another project', args({ kind: 'pubsub' }, ['--transport-topic=projects/other-proj/topics/orders']), /must be in project shop-prod-1/],
    ['gcr topic of another project', args({ kind: 'artifact-registry' }, ['--source-project=registry-proj']), /can only use a topic in its own project/],
    ['no project', ['create', 'pubsub', `--region=${R}`, '--destination-run-service=eventarc-router'], /--project is required/],
    ['unknown kind', ['create', 'datastore', `--project=${P}`], /unknown trigger kind 'datastore'/],
    ['bad database', firestoreArgs('--database=Orders'), /invalid --database 'Orders'/],
    [
      'document with an empty segment',
      firestoreArgs('--document=users//orders'),
      /invalid --document 'users\/\/orders': a document path pattern has an empty segment \(2\)/,
    ],
    ['document with a partial capture', firestoreArgs('--document=users/id-{uid}'), /segment 2 'id-\{uid\}': a capture is a whole segment/],
    ['document with two multi-segment parts', firestoreArgs('--document=**/x/{rest=**}'), /may hold only one '\*\*'/],
    ['document with a comma', firestoreArgs('--document=users/{uid},x'), /must not contain spaces, commas or quotes/],
    ['document with "**" inside a segment', firestoreArgs('--document=users/a**'), /'\*\*' stands alone as a segment/],
    ['bad data content type', firestoreArgs('--data-content-type=text/plain'), /invalid --data-content-type 'text\/plain'/],
    ['bad firestore event type', firestoreArgs('--event-type=finalized'), /invalid --event-type 'finalized' \(created, updated, deleted or written/],
    ['audit-log without service name', auditArgs().filter((a) => !a.startsWith('--service-name')), /--service-name is required/],
    ['audit-log without method name', auditArgs().filter((a) => !a.startsWith('--method-name')), /--method-name is required/],
    ['bad service name', auditArgs('--service-name=storage'), /invalid --service-name 'storage'/],
    ['method name with a space', auditArgs('--method-name=storage buckets'), /invalid --method-name/],
    ['bad resource name pattern', auditArgs('--resource-name=projects/_/buckets/{b}{c}'), /invalid --resource-name .*a capture is a whole segment/],
    ['--document on a storage trigger', args({}, ['--document=users/{uid}']), /--document applies to firestore triggers only/],
    ['--service-name on a firestore trigger', firestoreArgs('--service-name=storage.googleapis.com'), /--service-name applies to audit-log triggers only/],
    ['--event-type on an audit-log trigger', auditArgs('--event-type=created'), /--event-type applies to storage and firestore triggers only/],
    ['delete without location', ['delete', `--project=${P}`, 'some-trigger'], /--location \(or --region\) is required/],
  ];

  function firestoreArgs(...extra: string[]): string[] {
    return ['create', 'firestore', `--project=${P}`, `--region=${R}`, '--destination-run-service=eventarc-router', ...extra];
  }
  function auditArgs(...extra: string[]): string[] {
    const base = [
      'create',
      'audit-log',
      `--project=${P}`,
      `--region=${R}`,
      '--service-name=storage.googleapis.com',
      '--method-name=storage.buckets.create',
      '--destination-run-service=eventarc-router',
    ];
    // A later flag of the same name wins in the script: extra replaces the base's.
    return [...base.filter((a) => !extra.some((e) => e.split('=')[0] === a.split('=')[0])), ...extra];
  }

  test.each(invalid)('%s', (_label, argv, message) => {
    const w = world();
    const r = w.run(...argv);
    expect(r.calls).toEqual([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  const valid: [string, string][] = [
    ['dotted bucket', 'uploads.shop.example.com'],
    ['63-character bucket', 'b'.repeat(63)],
    ['bucket with underscore inside', 'shop_uploads-2'],
  ];
  test.each(valid)('accepts a %s', (_label, bucket) => {
    const w = world();
    const r = w.run(...args({ bucket }), '--location=us', '--dry-run');
    expect(r.stderr).not.toMatch(/invalid/);
    expect(r.status).toBe(0);
  });
});

describe("failures surface gcloud's own message", () => {
  test('a permission error stops the run with the failing command and its message', () => {
    const s = freshProject();
    const denied = `ERROR: (gcloud.eventarc.triggers.create) PERMISSION_DENIED: Permission 'eventarc.triggers.create' denied on 'projects/${P}/locations/${R}/triggers/eventarc-router-shop-uploads-finalized'`;
    s.fail = [{ match: 'eventarc triggers create', stderr: denied }];
    const w = world(s);
    const r = w.run(...storageArgs);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(denied);
    const shown = printed(r.stderr);
    expect(shown[shown.length - 1].slice(0, 3)).toEqual(['eventarc', 'triggers', 'create']);
    expect(r.stderr).toMatch(/the command above failed \(exit 1\)/);
  });

  test('a destination service that does not exist is an error, not something to create', () => {
    const s = freshProject();
    delete s.runServices['eventarc-router'];
    const w = world(s);
    const r = w.run(...storageArgs);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NOT_FOUND: Resource 'eventarc-router' of kind 'SERVICE' in region 'europe-west1'/);
    expect(r.calls.some((c) => c[0] === 'eventarc')).toBe(false);
  });

  test('a project the caller cannot see fails at the first command', () => {
    const w = world();
    const r = w.run('create', 'pubsub', '--project=not-my-project', `--region=${R}`, '--destination-run-service=eventarc-router');
    expect(r.status).toBe(1);
    expect(r.calls).toHaveLength(1);
    expect(r.stderr).toMatch(/does not have permission to access projects instance \[not-my-project\]/);
  });
});

describe('list and delete', () => {
  test("list shows the project's triggers", () => {
    const w = world();
    w.run(...storageArgs);
    const r = w.run('list', `--project=${P}`);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([['eventarc', 'triggers', 'list', `--project=${P}`, '--location=-']]);
    expect(r.stdout).toMatch(/eventarc-router-shop-uploads-finalized/);
  });

  test('list can be narrowed to one destination service and location', () => {
    const w = world();
    const r = w.run('list', `--project=${P}`, `--location=${R}`, '--destination-run-service=eventarc-router');
    expect(r.calls).toEqual([['eventarc', 'triggers', 'list', `--project=${P}`, `--location=${R}`, '--filter=destination.cloudRun.service=eventarc-router']]);
  });

  test('delete removes the trigger; deleting it again is not an error', () => {
    const w = world();
    w.run(...storageArgs);
    const name = 'eventarc-router-shop-uploads-finalized';
    const r = w.run('delete', `--project=${P}`, `--location=${R}`, name);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([['eventarc', 'triggers', 'delete', name, `--location=${R}`, `--project=${P}`, '--quiet']]);
    expect(w.state().triggers).toEqual([]);
    const again = w.run('delete', `--project=${P}`, `--location=${R}`, name);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/does not exist; nothing to delete/);
    expect(again.stderr).toMatch(/nothing changed/);
  });

  test('delete --dry-run deletes nothing', () => {
    const w = world();
    w.run(...storageArgs);
    const r = w.run('delete', `--project=${P}`, `--location=${R}`, 'eventarc-router-shop-uploads-finalized', '--dry-run');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(w.state().triggers).toHaveLength(1);
  });
});

describe('script hygiene', () => {
  test('shellcheck finds nothing', () => {
    const which = spawnSync('sh', ['-c', 'command -v shellcheck'], { encoding: 'utf8' });
    if (which.status !== 0) throw new Error('shellcheck is not installed; install it (apt-get install shellcheck) to run this test');
    const r = spawnSync('shellcheck', ['--severity=style', SCRIPT], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('is executable and --help explains every subcommand', () => {
    expect(fs.statSync(SCRIPT).mode & 0o111).not.toBe(0);
    const r = spawnSync(SCRIPT, ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const s of [
      'create storage',
      'create pubsub',
      'create artifact-registry',
      'create firestore',
      'create audit-log',
      '--document=PATTERN',
      '--resource-name=PATTERN',
      'list',
      'delete',
      '--dry-run',
      'roles/run.invoker',
    ]) {
      expect(r.stdout).toContain(s);
    }
  });
});
