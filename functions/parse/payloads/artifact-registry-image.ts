/**
 * Artifact Registry / Container Registry notifications on Pub/Sub:
 * `{"action":"INSERT"|"DELETE","digest"?,"tag"?}`, normally on the `gcr` topic. No
 * attributes mark them, so off that topic the data is recognised by its content.
 */
import type { EventBase, ImageEvent, PubSubMessage } from '../event';
import { PayloadError, fromZodError } from '../errors';
import { registryNotificationSchema } from '../schemas';
import { parseImageReference } from './image-reference';
import type { Payload } from './payload';

const ACTION_KEY = Buffer.from('"action"');

/** Cheap pre-check so plain JSON messages are not parsed twice on the hot path. */
function looksLikeRegistryNotification(data: Buffer): boolean {
  return data.length > 0 && data.length < 16384 && data.includes(ACTION_KEY) && data.toString('utf8').trimStart().startsWith('{');
}

function fromMessage(message: PubSubMessage, carrier: EventBase): ImageEvent | undefined {
  const onGcrTopic = carrier.topic === 'gcr';
  if (!onGcrTopic && !looksLikeRegistryNotification(message.data)) return undefined;
  const shape = 'registry-notification';
  let json: unknown;
  try {
    json = JSON.parse(message.data.toString('utf8'));
  } catch (err) {
    if (onGcrTopic) throw new PayloadError(shape, 'message.data', `is not valid JSON (${(err as Error).message})`);
    return undefined;
  }
  const action = (json as { action?: unknown } | null)?.action;
  if (!onGcrTopic && action !== 'INSERT' && action !== 'DELETE') return undefined;
  const parsed = registryNotificationSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(shape, parsed.error, 'message.data');
  const n = parsed.data;
  const byDigest = n.digest !== undefined ? parseImageReference(n.digest, shape, 'message.data.digest') : undefined;
  const byTag = n.tag !== undefined ? parseImageReference(n.tag, shape, 'message.data.tag') : undefined;
  if (byDigest && byTag && (byDigest.host !== byTag.host || byDigest.path !== byTag.path)) {
    throw new PayloadError(shape, 'message.data', `digest and tag name different images ("${n.digest}", "${n.tag}")`);
  }
  const base = (byDigest ?? byTag)!;
  const image = {
    host: base.host,
    project: base.project,
    repository: base.repository,
    image: base.image,
    path: base.path,
    ...(byTag?.tag !== undefined && { tag: byTag.tag }),
    ...(byDigest?.digest !== undefined && { digest: byDigest.digest }),
  };
  return {
    kind: 'registry.image',
    ...carrier,
    change: n.action === 'INSERT' ? 'inserted' : 'deleted',
    image,
    notification: { action: n.action, ...(n.digest !== undefined && { digest: n.digest }), ...(n.tag !== undefined && { tag: n.tag }) },
  };
}

/** No CloudEvent type of its own: Eventarc delivers these as messagePublished on the `gcr` topic. */
export const artifactRegistryImagePayload: Payload = { cloudEventTypes: [], fromMessage };
