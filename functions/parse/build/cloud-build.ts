/**
 * A Cloud Build status change as Eventarc delivers it (shape B, the Build as data)
 * or as Cloud Build's own notification on the `cloud-builds` topic (a push whose
 * attributes carry `buildId` and `status`, and whose data is the Build).
 */
import type { RawRequest } from '../../receive/raw-request';
import { buildCloudEvent } from './cloudevent';

export interface BuildSpec {
  readonly id: string;
  readonly time: string;
  readonly project: string;
  readonly buildId: string;
  /** `SUCCESS`, `FAILURE`, `WORKING`, ... */
  readonly status: string;
  readonly triggerId?: string;
  readonly triggerName?: string;
  /** Images the build pushed: `name` as requested, with the digest pushed. */
  readonly images?: readonly { readonly name: string; readonly digest?: string }[];
  readonly logUrl?: string;
  readonly subscription: string;
}

function buildOf(e: BuildSpec): Record<string, unknown> {
  const pushed = (e.images ?? []).filter((i) => i.digest !== undefined);
  return {
    id: e.buildId,
    projectId: e.project,
    status: e.status,
    ...(e.triggerId !== undefined && { buildTriggerId: e.triggerId }),
    ...(e.triggerName !== undefined && { substitutions: { TRIGGER_NAME: e.triggerName } }),
    images: (e.images ?? []).map((i) => i.name),
    ...(pushed.length > 0 && { results: { images: pushed.map((i) => ({ name: i.name, digest: i.digest })) } }),
    ...(e.logUrl !== undefined && { logUrl: e.logUrl }),
    createTime: e.time,
  };
}

export function buildBuildEvent(e: BuildSpec, via: 'cloudevent-binary' | 'pubsub-push' = 'cloudevent-binary'): RawRequest {
  const build = buildOf(e);
  if (via === 'cloudevent-binary') {
    return buildCloudEvent({
      id: e.id,
      time: e.time,
      type: 'google.cloud.cloudbuild.build.v1.statusChanged',
      source: `//cloudbuild.googleapis.com/projects/${e.project}/locations/global/builds/${e.buildId}`,
      data: build,
      dataContentType: 'application/json; charset=utf-8',
    });
  }
  const message = {
    data: Buffer.from(JSON.stringify(build)).toString('base64'),
    attributes: { buildId: e.buildId, status: e.status },
    messageId: e.id,
    publishTime: e.time,
  };
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message, subscription: `projects/${e.project}/subscriptions/${e.subscription}` })),
  };
}
