/**
 * The event fields a route can filter on, one accessor each: the single table
 * that both the routes file and `router.on()` use, so a field means the same
 * thing everywhere.
 */
import type { RouterEvent } from '../parse/event';

/** A list when the event has several values for the field (a build's images): it matches when any of them does. */
export type FieldValue = string | readonly string[] | undefined;
export type FieldAccessor = (event: RouterEvent) => FieldValue;

/** A build's image names or digests; absent when it has none, so `exists` reads naturally. */
function ofImages(values: readonly (string | undefined)[]): readonly string[] | undefined {
  const present = values.filter((v): v is string => v !== undefined);
  return present.length > 0 ? present : undefined;
}

export const FIELDS = {
  kind: (e) => e.kind,
  change: (e) => (e.kind === 'storage.object' || e.kind === 'registry.image' || e.kind === 'firestore.document' ? e.change : undefined),
  id: (e) => e.id,
  type: (e) => e.type,
  source: (e) => e.source,
  subject: (e) => (e.kind === 'cloudevent' ? e.subject : e.kind === 'storage.object' ? `objects/${e.object.name}` : undefined),
  project: (e) => (e.kind === 'registry.image' ? e.image.project : e.project),
  topic: (e) => e.topic,
  subscription: (e) => e.delivery.subscription,
  shape: (e) => e.delivery.shape,
  bucket: (e) => (e.kind === 'storage.object' ? e.object.bucket : undefined),
  name: (e) => (e.kind === 'storage.object' ? e.object.name : undefined),
  contentType: (e) => (e.kind === 'storage.object' ? e.object.contentType : undefined),
  host: (e) => (e.kind === 'registry.image' ? e.image.host : undefined),
  repository: (e) => (e.kind === 'registry.image' ? e.image.repository : undefined),
  // A build.status event: each image's name as Cloud Build gives it (HOST/PATH[:TAG]), and each pushed image's digest.
  image: (e) => (e.kind === 'registry.image' ? e.image.image : e.kind === 'build.status' ? ofImages(e.build.images.map((i) => i.name)) : undefined),
  tag: (e) => (e.kind === 'registry.image' ? e.image.tag : undefined),
  digest: (e) => (e.kind === 'registry.image' ? e.image.digest : e.kind === 'build.status' ? ofImages(e.build.images.map((i) => i.digest)) : undefined),
  database: (e) => (e.kind === 'firestore.document' ? e.database : undefined),
  namespace: (e) => (e.kind === 'firestore.document' ? e.namespace : undefined),
  document: (e) => (e.kind === 'firestore.document' ? e.document : undefined),
  serviceName: (e) => (e.kind === 'audit.log' ? e.serviceName : undefined),
  methodName: (e) => (e.kind === 'audit.log' ? e.methodName : undefined),
  resourceName: (e) => (e.kind === 'audit.log' ? e.resourceName : undefined),
  principalEmail: (e) => (e.kind === 'audit.log' ? e.principalEmail : undefined),
  status: (e) => (e.kind === 'build.status' ? e.build.status : undefined),
  trigger: (e) => (e.kind === 'build.status' ? (e.build.trigger?.name ?? e.build.trigger?.id) : undefined),
} satisfies Record<string, FieldAccessor>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
