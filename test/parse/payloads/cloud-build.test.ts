/**
 * Cloud Build status changes: every BuildEventData fixture of Google's, as a
 * statusChanged CloudEvent and as a `cloud-builds` Pub/Sub notification, gives the
 * build written out below, the same both ways; images carry their digests;
 * hostile data is a PayloadError (permanent) naming the field.
 */
import { PayloadError } from '../../../functions/parse/errors';
import {
  BUILD_STATUS_CHANGED,
  cloudBuildEventOf,
  cloudBuildEventOfMessage,
  isCloudBuildNotification,
  type Build,
} from '../../../functions/parse/payloads/cloud-build';
import type { PayloadInput } from '../../../functions/parse/payloads/payload-input';
import { readReal } from '../../support/fixtures';

const event = (data: unknown, more: Partial<PayloadInput> = {}): PayloadInput => ({
  type: BUILD_STATUS_CHANGED,
  source: '//cloudbuild.googleapis.com/projects/test-project/locations/global/builds/b-1',
  subject: 'builds/b-1',
  dataContentType: 'application/json',
  data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
  extensions: {},
  ...more,
});
const message = (data: unknown, attributes: Record<string, string>) => ({ data: Buffer.from(JSON.stringify(data)), attributes });

const rejection = (decode: () => unknown): PayloadError => {
  try {
    decode();
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  throw new Error('decoded without a PayloadError');
};

type BuildJson = { status?: string; source?: unknown };
const fixture = (where: 'examples' | 'testdata', name: string) =>
  where === 'examples'
    ? readReal<BuildJson>('google-cloudevents', 'examples', 'binary', 'cloudbuild', `BuildEventData-${name}.json`)
    : readReal<BuildJson>('google-cloudevents', 'testdata', 'google', 'events', 'cloud', 'cloudbuild', 'v1', `BuildEventData-${name}.json`);

const common = { id: 'b-1', createTime: '1993-07-25T02:32:41.388Z', logUrl: 'http://example.com', images: [{ name: 'http://example.com' }], substitutions: {} };
const EXPECTED: Record<string, Build> = {
  'examples simple': {
    ...common,
    status: 'STATUS_UNKNOWN',
    projectId: 'test-project',
    trigger: { id: 'trigger-id' },
    tags: ['gce-vm-tag', 'gcp-cloud-build-tag'],
  },
  'examples complex': {
    ...common,
    status: 'SUCCESS',
    projectId: 'test-project',
    trigger: { id: 'trigger-id' },
    tags: ['gce-vm-tag', 'gcp-cloud-build-tag'],
    source: { storageSource: { bucket: 'sample-bucket', object: 'my-object.txt', generation: '1587627537231057' } },
  },
  'testdata simple': {
    ...common,
    status: 'STATUS_UNKNOWN',
    projectId: 'quis minim est laborum ex',
    trigger: { id: 'cupidatat' },
    tags: ['dolor exercitation', 'sit id consequat', 'dolore eu sit irure esse'],
  },
  'testdata complex': {
    ...common,
    status: 'SUCCESS',
    projectId: 'quis minim est laborum ex',
    trigger: { id: 'cupidatat' },
    tags: ['dolor exercitation', 'sit id consequat', 'dolore eu sit irure esse'],
    source: { storageSource: { bucket: 'sample-bucket', object: 'my-object.txt', generation: '1587627537231057' } },
  },
};

describe.each(Object.keys(EXPECTED))("Google's BuildEventData %s", (name) => {
  const [where, variant] = name.split(' ') as ['examples' | 'testdata', string];
  const data = fixture(where, variant);
  const expected = EXPECTED[name];

  it('as a statusChanged CloudEvent (the build id from its subject)', () => {
    expect(cloudBuildEventOf(event(data))).toEqual({ kind: 'build.status', build: expected, project: expected.projectId });
  });

  it('as a cloud-builds notification: the same event', () => {
    const attributes = { buildId: 'b-1', status: data.status ?? 'STATUS_UNKNOWN' };
    expect(isCloudBuildNotification({ attributes, topic: 'cloud-builds' })).toBe(true);
    expect(cloudBuildEventOfMessage(message(data, attributes))).toEqual(cloudBuildEventOf(event(data)));
  });
});

describe('a pushed build', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const build = {
    id: 'b-2',
    projectId: 'p',
    status: 'SUCCESS',
    buildTriggerId: 't-1',
    substitutions: { TRIGGER_NAME: 'deploy-main', BRANCH_NAME: 'main' },
    images: ['us-docker.pkg.dev/p/r/app:latest', 'us-docker.pkg.dev/p/r/worker'],
    results: {
      images: [
        { name: 'us-docker.pkg.dev/p/r/app:latest', digest, pushTiming: {} },
        { name: 'us-docker.pkg.dev/p/r/app', digest },
      ],
    },
    startTime: '2024-01-01T00:00:01Z',
    finishTime: '2024-01-01T00:02:00Z',
  };

  it('names its trigger and its images with their digests; an image not pushed has none', () => {
    const { build: b } = cloudBuildEventOfMessage(message(build, { buildId: 'b-2', status: 'SUCCESS' }));
    expect(b.trigger).toEqual({ id: 't-1', name: 'deploy-main' });
    expect(b.images).toEqual([
      { name: 'us-docker.pkg.dev/p/r/app:latest', digest },
      { name: 'us-docker.pkg.dev/p/r/app', digest },
      { name: 'us-docker.pkg.dev/p/r/worker' },
    ]);
    expect(b).toMatchObject({
      id: 'b-2',
      status: 'SUCCESS',
      startTime: '2024-01-01T00:00:01Z',
      finishTime: '2024-01-01T00:02:00Z',
      substitutions: { BRANCH_NAME: 'main' },
    });
  });

  it('the attributes come first; a numeric status is named', () => {
    expect(cloudBuildEventOfMessage(message(build, { buildId: 'other', status: 'FAILURE' })).build).toMatchObject({ id: 'other', status: 'FAILURE' });
    expect(cloudBuildEventOf(event({ ...build, status: 10 })).build.status).toBe('PENDING');
  });

  it('the build id comes from the data, else the subject, else the source', () => {
    expect(cloudBuildEventOf(event(build, { subject: 'builds/x' })).build.id).toBe('b-2');
    const { id: _, ...anonymous } = build;
    expect(cloudBuildEventOf(event(anonymous, { subject: 'builds/x' })).build.id).toBe('x');
    expect(cloudBuildEventOf(event(anonymous, { subject: undefined })).build.id).toBe('b-1');
    expect(rejection(() => cloudBuildEventOf(event(anonymous, { subject: undefined, source: undefined }))).path).toBe('id');
  });

  it.each(['__proto__', 'constructor'])('a substitution named %j is an own member, and pollutes nothing', (key) => {
    const text = `{"id":"b","status":"QUEUED","substitutions":{${JSON.stringify(key)}:"v"}}`;
    const { build: b } = cloudBuildEventOf(event(text));
    expect(Object.getPrototypeOf(b.substitutions)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(b.substitutions, key)?.value).toBe('v');
    expect(b.trigger).toBeUndefined();
  });
});

describe('which Pub/Sub messages are notifications', () => {
  it.each<[Record<string, string>, string | undefined, boolean]>([
    [{ buildId: 'b', status: 'QUEUED' }, undefined, true],
    [{ buildId: 'b', status: 'QUEUED' }, 'cloud-builds', true],
    [{ buildId: 'b', status: 'QUEUED' }, 'my-topic', false],
    [{ buildId: 'b' }, undefined, false],
    [{}, 'cloud-builds', false],
  ])('%j on topic %s: %s', (attributes, topic, expected) => {
    expect(isCloudBuildNotification({ attributes, ...(topic !== undefined && { topic }) })).toBe(expected);
  });
});

describe('hostile data is a PayloadError that names the field', () => {
  it.each<[string, unknown, string]>([
    ['data that is no object', 'null', ''],
    ['text that is not JSON', '{"id":', ''],
    ['an unknown status', { id: 'b', status: 'DONE' }, 'status'],
    ['a status that is an object', { id: 'b', status: {} }, 'status'],
    ['an id that is a number', { id: 7, status: 'QUEUED' }, 'id'],
    ['a digest that is no digest', { id: 'b', results: { images: [{ name: 'h/p/r/i', digest: 'sha256:xyz' }] } }, 'results.images.0.digest'],
    ['a result image without a name', { id: 'b', results: { images: [{ digest: `sha256:${'0'.repeat(64)}` }] } }, 'results.images.0.name'],
    ['a result image that is text', { id: 'b', results: { images: ['x'] } }, 'results.images.0'],
    ['images that are objects', { id: 'b', images: [{}] }, 'images.0'],
    ['tags that are text', { id: 'b', tags: 'x' }, 'tags'],
    ['a substitution that is a number', { id: 'b', substitutions: { A: 1 } }, 'substitutions.A'],
    ['a source that is text', { id: 'b', source: 'x' }, 'source'],
  ])('%s', (_name, data, where) => {
    const err = rejection(() => cloudBuildEventOf(event(data)));
    expect(err.disposition).toBe('permanent');
    expect(err.shape).toBe('Build');
    expect(err.path).toBe(where);
  });

  it('a notification whose status attribute is no status', () => {
    expect(rejection(() => cloudBuildEventOfMessage(message({ id: 'b' }, { buildId: 'b', status: 'toString' }))).path).toBe('attributes.status');
  });

  it.each<[string, Partial<PayloadInput>, string]>([
    ['another type', { type: 'google.cloud.cloudbuild.build.v1.created' }, 'type'],
    ['protobuf data', { dataContentType: 'application/protobuf' }, 'datacontenttype'],
  ])('%s', (_name, more, where) => {
    expect(rejection(() => cloudBuildEventOf(event({ id: 'b' }, more))).path).toBe(where);
  });
});
