/**
 * Cloud Build status changes, from either carrier: a notification on the
 * `cloud-builds` Pub/Sub topic (attributes `buildId` and `status`, data the Build
 * resource as JSON) or a `google.cloud.cloudbuild.build.v1.statusChanged`
 * CloudEvent (data BuildEventData, the same resource). Both give the same
 * BuildStatusChange; the attributes, when there, come first.
 */
import { PayloadError } from '../errors';
import { isJsonMediaType, parseJson } from './bytes';
import { arrayField, describe, isJsonObject, objectField, setOwn, stringArrayField, stringField, type JsonObject } from './json-fields';
import type { PayloadInput } from './payload-input';
import { mediaType } from '../../support/media-type';
import { isDigest } from '../../registry/reference';

export const BUILD_STATUS_CHANGED = 'google.cloud.cloudbuild.build.v1.statusChanged';
/** The topic Cloud Build publishes its notifications on. */
export const CLOUD_BUILDS_TOPIC = 'cloud-builds';

/** An image of the build: from results.images (pushed, with its digest) or the requested `images` (not pushed yet). */
export interface BuildImage {
  /** As Cloud Build names it, e.g. `us-docker.pkg.dev/p/r/app:latest`. */
  readonly name: string;
  /** `sha256:...` once pushed; `name@digest` pins what replicate-image copies. */
  readonly digest?: string;
}

export interface Build {
  readonly id: string;
  /** STATUS_UNKNOWN, PENDING, QUEUED, WORKING, SUCCESS, FAILURE, INTERNAL_ERROR, TIMEOUT, CANCELLED or EXPIRED. */
  readonly status: string;
  readonly statusDetail?: string;
  readonly projectId?: string;
  /** The trigger that started it: buildTriggerId, and substitutions.TRIGGER_NAME when Cloud Build set it. */
  readonly trigger?: { readonly id: string; readonly name?: string };
  readonly images: readonly BuildImage[];
  /** The Build's `source` (storageSource, repoSource, ...) as parsed JSON. */
  readonly source?: unknown;
  readonly logUrl?: string;
  readonly tags: readonly string[];
  readonly substitutions: Readonly<Record<string, string>>;
  readonly createTime?: string;
  readonly startTime?: string;
  readonly finishTime?: string;
}

/** What a build notification says; the envelope adds id, type, source, time and the delivery. */
export interface BuildStatusChange {
  readonly kind: 'build.status';
  readonly build: Build;
  readonly project?: string;
}

const SHAPE = 'Build';

// google.devtools.cloudbuild.v1.Build.Status: proto3 JSON writes the name, a reader takes the number too.
const STATUSES: ReadonlyMap<number, string> = new Map([
  [0, 'STATUS_UNKNOWN'],
  [10, 'PENDING'],
  [1, 'QUEUED'],
  [2, 'WORKING'],
  [3, 'SUCCESS'],
  [4, 'FAILURE'],
  [5, 'INTERNAL_ERROR'],
  [6, 'TIMEOUT'],
  [7, 'CANCELLED'],
  [9, 'EXPIRED'],
]);
const STATUS_NAMES: ReadonlySet<string> = new Set(STATUSES.values());

function statusOf(v: unknown, path: string): string {
  if (typeof v === 'string' && STATUS_NAMES.has(v)) return v;
  if (typeof v === 'number' && STATUSES.has(v)) return STATUSES.get(v)!;
  throw new PayloadError(SHAPE, path, `must be a build status (${[...STATUS_NAMES].join(', ')}), not ${describe(v)}`);
}

function imagesOf(build: JsonObject): BuildImage[] {
  const images: BuildImage[] = [];
  const seen = new Set<string>();
  const results = objectField(build, 'results', SHAPE, '');
  (results ? (arrayField(results, 'images', SHAPE, 'results') ?? []) : []).forEach((image, i) => {
    const path = `results.images.${i}`;
    if (!isJsonObject(image)) throw new PayloadError(SHAPE, path, `must be an object, not ${describe(image)}`);
    const name = stringField(image, 'name', SHAPE, path);
    if (!name) throw new PayloadError(SHAPE, `${path}.name`, 'is required');
    const digest = stringField(image, 'digest', SHAPE, path);
    if (digest !== undefined && !isDigest(digest))
      throw new PayloadError(SHAPE, `${path}.digest`, `${JSON.stringify(digest.slice(0, 80))} is not a sha256 or sha512 digest`);
    if (seen.has(name)) return;
    seen.add(name);
    images.push({ name, ...(digest !== undefined && { digest }) });
  });
  for (const name of stringArrayField(build, 'images', SHAPE, '') ?? []) {
    if (seen.has(name)) continue;
    seen.add(name);
    images.push({ name });
  }
  return images;
}

function substitutionsOf(build: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  const substitutions = objectField(build, 'substitutions', SHAPE, '');
  if (!substitutions) return out;
  for (const key of Object.keys(substitutions)) {
    const v = substitutions[key];
    if (typeof v !== 'string') throw new PayloadError(SHAPE, `substitutions.${key}`, `must be a string, not ${describe(v)}`);
    setOwn(out, key, v);
  }
  return out;
}

function buildOf(data: Buffer, dataContentType: string | undefined, attributes: { buildId?: string; status?: string }, fallbackId?: string): BuildStatusChange {
  if (mediaType(dataContentType) !== '' && !isJsonMediaType(dataContentType)) {
    throw new PayloadError(SHAPE, 'datacontenttype', `${JSON.stringify(mediaType(dataContentType).slice(0, 100))} is not JSON`);
  }
  const build = parseJson(data, SHAPE, '');
  if (!isJsonObject(build)) throw new PayloadError(SHAPE, '', `must be a JSON object, not ${describe(build)}`);
  const id = attributes.buildId || stringField(build, 'id', SHAPE, '') || fallbackId;
  if (!id) throw new PayloadError(SHAPE, 'id', 'is required (the buildId attribute, the Build id, or a subject builds/ID)');
  const status = attributes.status ? statusOf(attributes.status, 'attributes.status') : statusOf(build['status'] ?? 'STATUS_UNKNOWN', 'status');

  const substitutions = substitutionsOf(build);
  const triggerId = stringField(build, 'buildTriggerId', SHAPE, '');
  const triggerName = Object.hasOwn(substitutions, 'TRIGGER_NAME') ? substitutions['TRIGGER_NAME'] : undefined;
  const projectId = stringField(build, 'projectId', SHAPE, '');
  const statusDetail = stringField(build, 'statusDetail', SHAPE, '');
  const source = objectField(build, 'source', SHAPE, '');
  const logUrl = stringField(build, 'logUrl', SHAPE, '');
  const createTime = stringField(build, 'createTime', SHAPE, '');
  const startTime = stringField(build, 'startTime', SHAPE, '');
  const finishTime = stringField(build, 'finishTime', SHAPE, '');

  return {
    kind: 'build.status',
    build: {
      id,
      status,
      ...(statusDetail !== undefined && { statusDetail }),
      ...(projectId !== undefined && { projectId }),
      ...(triggerId && { trigger: { id: triggerId, ...(triggerName !== undefined && { name: triggerName }) } }),
      images: imagesOf(build),
      ...(source !== undefined && { source }),
      ...(logUrl !== undefined && { logUrl }),
      tags: stringArrayField(build, 'tags', SHAPE, '') ?? [],
      substitutions,
      ...(createTime !== undefined && { createTime }),
      ...(startTime !== undefined && { startTime }),
      ...(finishTime !== undefined && { finishTime }),
    },
    ...(projectId && { project: projectId }),
  };
}

/** The build's id from a CloudEvent that names it only in its subject (`builds/ID`) or source (`.../builds/ID`). */
function buildIdOf(input: PayloadInput): string | undefined {
  const fromSubject = /^builds\/([^/]+)$/.exec(input.subject ?? '')?.[1];
  return fromSubject ?? /\/builds\/([^/]+)$/.exec(input.source ?? '')?.[1];
}

/** A `statusChanged` CloudEvent as a build status change; a PayloadError when it can never be one. */
export function cloudBuildEventOf(input: PayloadInput): BuildStatusChange {
  if (input.type !== BUILD_STATUS_CHANGED) throw new PayloadError(SHAPE, 'type', `${JSON.stringify(input.type.slice(0, 200))} is not ${BUILD_STATUS_CHANGED}`);
  return buildOf(input.data, input.dataContentType, {}, buildIdOf(input));
}

/**
 * Whether a Pub/Sub message is a Cloud Build notification: it carries `buildId`
 * and `status`, and came from the `cloud-builds` topic when the delivery names its topic.
 */
export function isCloudBuildNotification(message: { readonly attributes: Readonly<Record<string, string>>; readonly topic?: string }): boolean {
  const a = message.attributes;
  return Object.hasOwn(a, 'buildId') && Object.hasOwn(a, 'status') && (message.topic === undefined || message.topic === CLOUD_BUILDS_TOPIC);
}

/** A Cloud Build notification (a Pub/Sub message) as a build status change. */
export function cloudBuildEventOfMessage(message: { readonly data: Buffer; readonly attributes: Readonly<Record<string, string>> }): BuildStatusChange {
  const a = message.attributes;
  const buildId = Object.hasOwn(a, 'buildId') ? a['buildId'] : undefined;
  const status = Object.hasOwn(a, 'status') ? a['status'] : undefined;
  return buildOf(message.data, 'application/json', { ...(buildId && { buildId }), ...(status && { status }) });
}
