/**
 * Which kinds of event each field of fields.ts has a value for (for the others it
 * gives `undefined`, so a condition on it never holds). One table for the compiler
 * (typed-match.ts refuses such a field in `router.on`) and for run time (the same
 * check for a JavaScript caller); test/route/typed-match.test.ts holds it to fields.ts.
 */
import { EVENT_KINDS, type EventKind } from '../parse/event';
import type { FieldName } from './fields';
import type { MatchSpec } from './match-spec';

const ALL = EVENT_KINDS;

export const FIELD_KINDS = {
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
  image: ['registry.image', 'build.status'],
  tag: ['registry.image'],
  digest: ['registry.image', 'build.status'],
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

export type FieldKinds = { readonly [F in FieldName]: (typeof FIELD_KINDS)[F][number] };

const STRUCTURE = new Set(['kind', 'attributes', 'all', 'any', 'not']);

/**
 * The first field of a (validated) spec that a kind it names lacks, in words; undefined when there
 * is none. A spec that names no kind may use any field; a nested `kind` applies below it.
 */
export function fieldOfOtherKinds(spec: MatchSpec, kinds?: readonly EventKind[]): string | undefined {
  const own = spec.kind === undefined ? kinds : typeof spec.kind === 'string' ? [spec.kind] : spec.kind;
  for (const key of Object.keys(spec)) {
    if (!own || STRUCTURE.has(key)) continue;
    const lacking = own.filter((k) => !(FIELD_KINDS[key as FieldName] as readonly EventKind[]).includes(k));
    if (lacking.length > 0) return `"${key}" is not a field of ${lacking.join(', ')} events: the route would never match them`;
  }
  for (const nested of [...(spec.all ?? []), ...(spec.any ?? []), ...(spec.not ? [spec.not] : [])]) {
    const found = fieldOfOtherKinds(nested, own);
    if (found) return found;
  }
  return undefined;
}
