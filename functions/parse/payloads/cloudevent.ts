/** Any other CloudEvent (audit logs, direct events, custom producers): not interpreted, routable and forwardable as is. */
import type { OtherCloudEvent } from '../event';
import type { Unwrapped } from '../unwrapped';
import type { EventContext } from './payload';
import { jsonOf, textOf } from './pubsub-message';

function projectOfSource(source: string | undefined): string | undefined {
  const p = /\/projects\/([^/]+)/.exec(source ?? '')?.[1];
  return p === '_' ? undefined : p;
}

export function otherCloudEvent(u: Unwrapped, context: EventContext): OtherCloudEvent {
  const subject = u.attributes['subject'];
  const project = projectOfSource(context.source);
  const shape = u.delivery.shape;
  return {
    kind: 'cloudevent',
    delivery: u.delivery,
    ...context,
    ...(subject !== undefined && { subject }),
    ...(project !== undefined && { project }),
    text: () => textOf(u.data),
    json: <T>() => jsonOf<T>(u.data, shape),
  };
}
