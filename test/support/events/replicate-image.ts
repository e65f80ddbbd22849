/** Artifact Registry notifications, as Pub/Sub data and as the core hands them to an action. */
import type { ImageEvent } from '../../../functions/parse/event';

/** `{"action":"INSERT","digest":"HOST/P/R/I@sha256:..","tag":"HOST/P/R/I:TAG"}` */
export function notification(action: 'INSERT' | 'DELETE', host: string, path: string, ref: { tag?: string; digest?: string }): Record<string, string> {
  return {
    action,
    ...(ref.digest && { digest: `${host}/${path}@${ref.digest}` }),
    ...(ref.tag && { tag: `${host}/${path}:${ref.tag}` }),
  };
}

/** A wrapped Pub/Sub push body carrying one notification. */
export function pushBody(data: Record<string, string>, messageId: string): string {
  return JSON.stringify({
    message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), messageId, attributes: {} },
    subscription: 'projects/build-project/subscriptions/gcr-replicate',
  });
}

export function imageEvent(change: 'inserted' | 'deleted', host: string, path: string, ref: { tag?: string; digest?: string }): ImageEvent {
  const [project, repository, ...image] = path.split('/');
  const data = notification(change === 'inserted' ? 'INSERT' : 'DELETE', host, path, ref);
  const body = Buffer.from(JSON.stringify(data));
  return {
    kind: 'registry.image',
    change,
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    id: '1',
    image: { host, project, repository, image: image.join('/'), path, ...ref },
    notification: data as ImageEvent['notification'],
    delivery: {
      shape: 'pubsub-push',
      attributes: {},
      cloudEvent: { attributes: {}, data: body },
      raw: { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body },
    },
  };
}
