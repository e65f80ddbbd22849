/**
 * The filterable fields of the event families added for Firestore, Cloud Audit Logs and
 * Cloud Build, on Google's own examples: each field reads what a user filters on, and a
 * path pattern on `document` / `resourceName` captures what the handler is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { HandlerContext } from '../../functions/act/action';
import { parseDelivery } from '../../functions/parse/delivery';
import type { RawRequest } from '../../functions/receive/raw-request';
import { dispatch } from '../../functions/route/dispatch';
import { FIELDS } from '../../functions/route/fields';
import { Router } from '../../functions/route/router';
import { createLogger, memorySink } from '../../functions/support/logger';
import { compileMatchSpec, type MatchSpec } from '../../functions/route/match-spec';
import type { RouterEvent } from '../../functions/parse/event';
import { FIXTURES, loadRequestFixtures, rawOf } from '../support/fixtures';

const example = (...parts: string[]) => fs.readFileSync(path.join(FIXTURES, ...parts));

function binary(type: string, source: string, body: Buffer, contentType: string, extra: Record<string, string> = {}): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': contentType, 'ce-specversion': '1.0', 'ce-id': 'e-1', 'ce-type': type, 'ce-source': source, ...extra },
    body,
  };
}

const firestore = (contentType: 'application/json' | 'application/protobuf') =>
  binary(
    'google.cloud.firestore.document.v1.updated',
    '//firestore.googleapis.com/projects/project-id/databases/(default)',
    contentType === 'application/json'
      ? example('real', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json')
      : example('protobuf', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.binpb'),
    contentType,
    {
      'ce-subject': 'documents/gcf-test/2Vm2mI1d0wIaK2Waj5to',
      'ce-dataschema': 'https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto',
    },
  );

const auditLog = binary(
  'google.cloud.audit.log.v1.written',
  '//cloudaudit.googleapis.com/projects/test-project/logs/activity',
  example('real', 'google-cloudevents', 'examples', 'binary', 'audit', 'LogEntryData-pubsubCreateTopic.json'),
  'application/json',
  {
    'ce-servicename': 'pubsub.googleapis.com',
    'ce-methodname': 'google.pubsub.v1.Publisher.CreateTopic',
    'ce-resourcename': 'projects/test-project/topics/test-auditlogs-source',
  },
);

const build = binary(
  'google.cloud.cloudbuild.build.v1.statusChanged',
  '//cloudbuild.googleapis.com/projects/test-project/locations/global/builds/b-1',
  example('real', 'google-cloudevents', 'examples', 'binary', 'cloudbuild', 'BuildEventData-simple.json'),
  'application/json',
);

describe('fields of the new families', () => {
  it.each(['application/json', 'application/protobuf'] as const)('firestore.document (%s): database, document, change', (contentType) => {
    const event = parseDelivery(firestore(contentType));
    expect([FIELDS.kind(event), FIELDS.change(event), FIELDS.database(event), FIELDS.document(event)]).toEqual([
      'firestore.document',
      'updated',
      '(default)',
      'gcf-test/2Vm2mI1d0wIaK2Waj5to',
    ]);
    expect(FIELDS.name(event)).toBeUndefined();
  });

  it('audit.log: service, method, resource, principal', () => {
    const event = parseDelivery(auditLog);
    expect([FIELDS.serviceName(event), FIELDS.methodName(event), FIELDS.resourceName(event)]).toEqual([
      'pubsub.googleapis.com',
      'google.pubsub.v1.Publisher.CreateTopic',
      'projects/test-project/topics/test-auditlogs-source',
    ]);
    expect(FIELDS.principalEmail(event)).toMatch(/@/);
  });

  it('build.status: status and trigger', () => {
    const event = parseDelivery(build);
    expect(FIELDS.kind(event)).toBe('build.status');
    expect(FIELDS.status(event)).toEqual(expect.any(String));
    expect(FIELDS.trigger(event)).toBe('trigger-id');
  });
});

describe('path patterns on the new families reach the handler', () => {
  it('a Firestore route on document: "gcf-test/{docId}" and an audit route on resourceName', async () => {
    const seen: Record<string, HandlerContext['params']> = {};
    const router = new Router(5000)
      .on({ kind: 'firestore.document', document: { pathPattern: 'gcf-test/{docId}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'docs' })
      .on({ resourceName: { pathPattern: 'projects/{project}/topics/{topic}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'topics' })
      .on({ document: { pathPattern: 'users/{uid}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'users' });
    for (const request of [firestore('application/protobuf'), auditLog]) {
      const event = parseDelivery(request);
      const outcomes = await dispatch(event, router.matching(event), createLogger(memorySink()));
      expect(outcomes.map((o) => o.status)).toEqual(['done']);
    }
    expect(seen).toEqual({ docs: { docId: '2Vm2mI1d0wIaK2Waj5to' }, topics: { project: 'test-project', topic: 'test-auditlogs-source' } });
  });
});

describe("build.status: image and digest match any of the build's images", () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;
  const withImages = (images: { name: string; digest?: string }[]) =>
    parseDelivery(
      binary(
        'google.cloud.cloudbuild.build.v1.statusChanged',
        '//cloudbuild.googleapis.com/projects/test-project/locations/global/builds/b-2',
        Buffer.from(
          JSON.stringify({
            ...(JSON.parse(example('real', 'google-cloudevents', 'examples', 'binary', 'cloudbuild', 'BuildEventData-complex.json').toString()) as object),
            images: images.map((i) => i.name),
            results: { images: images.filter((i) => i.digest).map((i) => ({ name: i.name, digest: i.digest })) },
          }),
        ),
        'application/json',
      ),
    );
  const two = withImages([
    { name: 'us-docker.pkg.dev/test-project/images/api:v1', digest: D1 },
    { name: 'europe-docker.pkg.dev/test-project/scratch/tool:dev', digest: D2 },
    { name: 'us-docker.pkg.dev/test-project/images/unpushed:v1' },
  ]);
  const none = withImages([]);

  const cases: [string, MatchSpec, RouterEvent, boolean, string][] = [
    ['a glob matching one of the names', { image: { glob: 'us-docker.pkg.dev/test-project/images/**' } }, two, true, ''],
    [
      'a glob matching none lists the names',
      { image: { glob: 'asia-docker.pkg.dev/**' } },
      two,
      false,
      'image is ["us-docker.pkg.dev/test-project/images/api:v1", "europe-docker',
    ],
    ['an exact name', { image: 'europe-docker.pkg.dev/test-project/scratch/tool:dev' }, two, true, ''],
    ['a digest of a pushed image', { digest: D2 }, two, true, ''],
    ['an unpushed image has no digest', { digest: `sha256:${'3'.repeat(64)}` }, two, false, 'digest is ["sha256:1111'],
    ['not: no image may match', { not: { image: { glob: '**/scratch/**' } } }, two, false, 'matches excluded condition'],
    ['exists false on a build with no images', { image: { exists: false }, digest: { exists: false } }, none, true, ''],
    ['exists true on a build with images', { image: { exists: true } }, two, true, ''],
    ['a glob on a build with no images', { image: { glob: '**' } }, none, false, 'image is absent'],
  ];
  it.each(cases)('%s', (_title, spec, event, matched, why) => {
    const verdict = compileMatchSpec(spec).test(event);
    expect(verdict.matched).toBe(matched);
    if (why) expect(verdict.why).toContain(why);
  });

  it('a path pattern captures from the first image that fits', () => {
    const verdict = compileMatchSpec({ image: { pathPattern: '{host}/test-project/scratch/{name=**}' } }).test(two);
    expect(verdict).toMatchObject({ matched: true, params: { host: 'europe-docker.pkg.dev', name: 'tool:dev' } });
    const miss = compileMatchSpec({ image: { pathPattern: '{host}/other/{name=**}' } }).test(two);
    expect(miss.matched).toBe(false);
    expect(miss.why).toContain('want path pattern');
  });

  it('an Artifact Registry image event keeps its one image name', () => {
    expect(compileMatchSpec({ image: 'img' }).test(parseDelivery(rawOf(loadRequestFixtures().find((f) => f.name === 'G-push-gcr-insert')!))).matched).toBe(
      true,
    );
  });
});
