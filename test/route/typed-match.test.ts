/**
 * The compile-time table of which kinds have which field (route/typed-match.ts's
 * FieldKinds) against what fields.ts really gives: over an event of every kind from
 * the request fixtures, a field that has a value on an event is one the table allows
 * for its kind, so no spec the compiler refuses could ever have matched.
 */
import type { EventKind, RouterEvent } from '../../functions/parse/event';
import { parseDelivery } from '../../functions/parse/delivery';
import { FIELDS, FIELD_NAMES, type FieldName } from '../../functions/route/fields';
import type { FieldKinds } from '../../functions/route/typed-match';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const ALL = ['pubsub.message', 'storage.object', 'registry.image', 'firestore.document', 'audit.log', 'build.status', 'cloudevent'] as const;

/** FieldKinds as values; the type below fails to compile when a row differs from it. */
const KINDS = {
  kind: ALL,
  id: ALL,
  type: ALL,
  source: ALL,
  project: ALL,
  topic: ALL,
  subscription: ALL,
  shape: ALL,
  change: ['storage.object', 'registry.image', 'firestore.document'],
  subject: ['cloudevent', 'storage.object'],
  bucket: ['storage.object'],
  name: ['storage.object'],
  contentType: ['storage.object'],
  host: ['registry.image'],
  repository: ['registry.image'],
  image: ['registry.image'],
  tag: ['registry.image'],
  digest: ['registry.image'],
  database: ['firestore.document'],
  namespace: ['firestore.document'],
  document: ['firestore.document'],
  serviceName: ['audit.log'],
  methodName: ['audit.log'],
  resourceName: ['audit.log'],
  principalEmail: ['audit.log'],
  status: ['build.status'],
  trigger: ['build.status'],
} as const satisfies { readonly [F in FieldName]: readonly EventKind[] };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The fields whose row here differs from FieldKinds: none, or this file does not compile (naming them). */
type Disagreeing = { [F in FieldName]: Same<(typeof KINDS)[F][number], FieldKinds[F]> extends true ? never : F }[FieldName];
const disagreeing: [Disagreeing] extends [never] ? 'none' : Disagreeing = 'none';

const events: RouterEvent[] = loadRequestFixtures().flatMap((f) => {
  try {
    return [parseDelivery(rawOf(f))];
  } catch {
    return [];
  }
});

describe('FieldKinds, the compile-time table of fields per kind', () => {
  it('has a fixture event of every kind', () => {
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(ALL));
    expect(disagreeing).toBe('none');
  });

  it.each(FIELD_NAMES.map((f) => [f]))('%s has a value only on the kinds the table names', (field) => {
    const allowed: readonly string[] = KINDS[field];
    const offending = events.filter((e) => FIELDS[field](e) !== undefined && !allowed.includes(e.kind)).map((e) => `${e.kind} ${e.id ?? ''}`);
    expect(offending).toEqual([]);
  });
});
