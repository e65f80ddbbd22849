/**
 * The table of which kinds have which field (route/field-kinds.ts: the compiler's
 * FieldKinds and the run-time check of router.on) against what fields.ts really gives: over an event of every kind from
 * the request fixtures, a field that has a value on an event is one the table allows
 * for its kind, so no spec the compiler refuses could ever have matched.
 */
import type { RouterEvent } from '../../functions/parse/event';
import { parseDelivery } from '../../functions/parse/delivery';
import { FIELDS, FIELD_NAMES } from '../../functions/route/fields';
import { FIELD_KINDS } from '../../functions/route/field-kinds';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const ALL = ['pubsub.message', 'storage.object', 'registry.image', 'firestore.document', 'audit.log', 'build.status', 'cloudevent'];

const events: RouterEvent[] = loadRequestFixtures().flatMap((f) => {
  try {
    return [parseDelivery(rawOf(f))];
  } catch {
    return [];
  }
});

describe('FIELD_KINDS, the table of fields per kind', () => {
  it('has a fixture event of every kind', () => {
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(ALL));
  });

  it.each(FIELD_NAMES.map((f) => [f]))('%s has a value only on the kinds the table names', (field) => {
    const allowed: readonly string[] = FIELD_KINDS[field];
    const offending = events.filter((e) => FIELDS[field](e) !== undefined && !allowed.includes(e.kind)).map((e) => `${e.kind} ${e.id ?? ''}`);
    expect(offending).toEqual([]);
  });
});
