/**
 * Compiled, never run (test/types/routes.test.ts runs tsc on it): what `router.on`
 * accepts and what it gives the handler. Each `@ts-expect-error` line must fail to
 * compile, and every other line must compile.
 */
import { createRouter, type FirestoreDocumentEvent, type ImageEvent, type StorageObjectEvent, type RouterEvent } from '../../functions/library';
import type { FieldKinds } from '../../functions/route/typed-match';
import type { FieldName } from '../../functions/route/fields';

/** `A` and `B` are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(proof: Same<A, B>): Same<A, B> => proof;

const router = createRouter({ env: {} });

// The event narrows to the kind named, for every kind.
router.on({ kind: 'storage.object', bucket: 'b' }, (_event) => void same<typeof _event, StorageObjectEvent>(true));
router.on({ kind: 'registry.image', tag: { suffix: ':latest' } }, (_event) => void same<typeof _event, ImageEvent>(true));
router.on({ kind: 'firestore.document' }, (_event) => void same<typeof _event, FirestoreDocumentEvent>(true));
router.on({ kind: 'pubsub.message' }, (_event) => void same<(typeof _event)['kind'], 'pubsub.message'>(true));
router.on({ kind: 'audit.log', serviceName: 'storage.googleapis.com' }, (_event) => void same<(typeof _event)['kind'], 'audit.log'>(true));
router.on({ kind: 'build.status', status: 'SUCCESS' }, (_event) => void same<(typeof _event)['kind'], 'build.status'>(true));
router.on(
  { kind: 'build.status', status: 'SUCCESS', image: 'europe-docker.pkg.dev/p/r/**' },
  (_event) => void same<(typeof _event)['kind'], 'build.status'>(true),
);
router.on({ kind: 'cloudevent', subject: { prefix: 'orders/' } }, (_event) => void same<(typeof _event)['kind'], 'cloudevent'>(true));
// Several kinds: their union, and fields all of them have.
router.on({ kind: ['storage.object', 'registry.image'], change: 'deleted' }, (_event) => void same<typeof _event, StorageObjectEvent | ImageEvent>(true));
// No kind: any event, and any field.
router.on({ bucket: 'b' }, (_event) => void same<typeof _event, RouterEvent>(true));

// Fields of the narrowed event are there without re-checking kind.
router.on({ kind: 'storage.object' }, (event) => ({ summary: `${event.object.bucket}/${event.object.name} ${event.change}` }));
// @ts-expect-error a storage event has no image
router.on({ kind: 'storage.object' }, (event) => void event.image);

// A field another kind has does not compile (it could never match).
// @ts-expect-error tag is a registry.image field
router.on({ kind: 'storage.object', tag: 'v1' }, () => undefined);
// @ts-expect-error ...nor nested in all/any/not
router.on({ kind: 'storage.object', not: { document: 'users/alice' } }, () => undefined);
// @ts-expect-error bucket is not a field of registry.image and storage.object events both
router.on({ kind: ['storage.object', 'registry.image'], bucket: 'b' }, () => undefined);
// @ts-expect-error an unknown field
router.on({ kind: 'storage.object', buckett: 'b' }, () => undefined);
// @ts-expect-error an unknown kind
router.on({ kind: 'storage.objects' }, () => undefined);
// @ts-expect-error a change the kind does not have
router.on({ kind: 'storage.object', change: 'inserted' }, () => undefined);
// @ts-expect-error not a value matcher
router.on({ kind: 'storage.object', name: { regex: '.*' } }, () => undefined);
router.on({ kind: 'registry.image', change: ['inserted', 'deleted'] }, () => undefined);

// Path patterns type ctx.params, named as in the pattern.
router.on({ kind: 'firestore.document', document: { pathPattern: 'users/{uid}/orders/{orderId}' } }, (_event, ctx) => {
  same<typeof ctx.params, { readonly uid: string } & { readonly orderId: string }>(true);
  const both: string = ctx.params.uid + ctx.params.orderId;
  // @ts-expect-error not captured by the pattern
  void ctx.params.order;
  return { summary: both };
});
router.on({ kind: 'storage.object', name: { pathPattern: 'releases/{version}/{rest=**}' } }, (_event, ctx) => void (ctx.params.version + ctx.params.rest));
router.on({ attributes: { objectId: { pathPattern: '/uploads/{user}/{path=**}' } } }, (_event, ctx) => void (ctx.params.user + ctx.params.path));
// Under `all` every name is there; under `any` only the branch that matched captured.
router.on({ all: [{ subject: { pathPattern: 'users/{uid}/**' } }], any: [{ source: { pathPattern: '{host}/a' } }, { source: 'b' }] }, (_event, ctx) => {
  const uid: string = ctx.params.uid;
  const host: string | undefined = ctx.params.host;
  // @ts-expect-error possibly absent
  const sure: string = ctx.params.host;
  void [uid, host, sure];
});
// No pattern, no params.
// @ts-expect-error nothing is captured
router.on({ kind: 'storage.object' }, (_event, ctx) => void ctx.params.anything);
// A spec only known at run time: any event, any param name.
declare const spec: import('../../functions/library').MatchSpec;
router.on(spec, (_event, _ctx) => void same<[typeof _event, typeof _ctx.params], [RouterEvent, Readonly<Record<string, string>>]>(true));

// The table of fields per kind names every field of fields.ts and nothing else.
same<keyof FieldKinds, FieldName>(true);

// Handler results are checked.
// @ts-expect-error a summary is text
router.on({ kind: 'pubsub.message' }, () => ({ summary: 42 }));
