/** Filters, table-driven over real fixture events: what matches, and the reason given when not. */
import { parseDelivery } from '../../functions/parse/delivery';
import { compileMatchSpec, type MatchSpec } from '../../functions/route/match-spec';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const byName = Object.fromEntries(loadRequestFixtures().map((f) => [f.name, f]));
const event = (name: string) => parseDelivery(rawOf(byName[name]));

const cases: [string, string, MatchSpec, boolean, string][] = [
  ['kind', 'F-push-gcs-json-api-v1', { kind: 'storage.object' }, true, ''],
  ['kind list', 'D-push-plain', { kind: ['storage.object', 'registry.image'] }, false, 'kind is "pubsub.message"'],
  ['bucket exact', 'F-push-gcs-json-api-v1', { bucket: 'my-bucket' }, true, ''],
  ['name glob **', 'F-push-gcs-json-api-v1', { name: { glob: 'in/**/*.csv' } }, true, ''],
  ['name glob no match', 'F-push-gcs-json-api-v1', { name: { glob: 'uploads/**/*.csv' } }, false, 'name is "in/file.csv", want glob "uploads/**/*.csv"'],
  ['prefix', 'F-push-gcs-json-api-v1', { name: { prefix: 'in/' } }, true, ''],
  ['suffix', 'F-push-gcs-json-api-v1', { name: { suffix: '.json' } }, false, 'want suffix ".json"'],
  ['change', 'F-push-gcs-none', { change: 'finalized' }, false, 'change is "deleted"'],
  ['not', 'F-push-gcs-json-api-v1', { not: { name: { suffix: '.csv' } } }, false, 'matches excluded condition'],
  ['any', 'G-push-gcr-insert', { any: [{ tag: 'v1' }, { tag: { glob: 'lat*' } }] }, true, ''],
  ['all', 'G-push-gcr-insert', { all: [{ host: { suffix: '-docker.pkg.dev' } }, { repository: 'repo' }, { image: 'img' }] }, true, ''],
  ['tag glob v*', 'G-push-gcr-insert', { tag: { glob: 'v*' } }, false, 'tag is "latest"'],
  ['digest-only has no tag', 'G-push-gcr-digest-only', { tag: { exists: false } }, true, ''],
  ['attributes', 'D-push-plain', { attributes: { foo: 'bar', n: ['1', '2'] } }, true, ''],
  ['attribute missing', 'D-push-plain', { attributes: { env: 'prod' } }, false, 'attribute env is absent'],
  ['topic', 'A-eventarc-pubsub-binary', { topic: 'my-topic' }, true, ''],
  ['subscription glob', 'D-push-plain', { subscription: { glob: 'projects/*/subscriptions/s-*' } }, true, ''],
  ['empty spec matches all', 'E-push-nowrapper', {}, true, ''],
  ['field absent on other kinds', 'D-push-plain', { bucket: 'my-bucket' }, false, 'bucket is absent'],
];

describe('filters', () => {
  it.each(cases)('%s', (_title, fixture, spec, matched, why) => {
    const verdict = compileMatchSpec(spec).test(event(fixture));
    expect(verdict.matched).toBe(matched);
    if (why) expect(verdict.why).toContain(why);
  });

  it('globs match object names with any characters', () => {
    const f = compileMatchSpec({ name: { glob: 'uploads/**/*.csv' } });
    const e = (name: string) =>
      parseDelivery({
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': '1',
          'ce-type': 'google.cloud.storage.object.v1.finalized',
          'ce-source': '//storage.googleapis.com/projects/_/buckets/b',
        },
        body: Buffer.from(JSON.stringify({ bucket: 'b', name })),
      });
    expect(f.test(e('uploads/a.csv')).matched).toBe(true);
    expect(f.test(e('uploads/2024/01/r é #.csv')).matched).toBe(true);
    expect(f.test(e('uploads/.hidden/x.csv')).matched).toBe(true);
    expect(f.test(e('other/uploads/a.csv')).matched).toBe(false);
    expect(f.test(e('uploads/a.csv.tmp')).matched).toBe(false);
  });
});
