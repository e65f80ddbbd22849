/**
 * The idempotency key of an event on a route: the event's source and id (a
 * CloudEvent is unique by the pair, so the same id from two sources is two
 * events), or a template over the event such as
 * `{object.bucket}/{object.name}#{object.generation}` (each `{path}` a dotted
 * path into the typed event).
 */
import { createHash } from 'crypto';
import type { RouterEvent } from '../../parse/event';

export type KeySpec = true | { readonly key: string };

export class KeyError extends Error {}

/** Longer keys are stored as their SHA-256, so a hostile id or source cannot make a lock entry large. */
const MAX_KEY_LENGTH = 512;

function lookup(event: RouterEvent, path: string): unknown {
  let value: unknown = event;
  for (const part of path.split('.')) {
    // Own properties only: `{constructor}` or `{message.toString}` names nothing of the event.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Validates a template at start-up, so a typo stops start-up rather than every event. */
export function checkKeyTemplate(template: string): void {
  if (!/\{[A-Za-z_][\w.]*\}/.test(template)) throw new KeyError(`idempotency key "${template}" names no {field} of the event`);
}

/** The source as delivered (or derived by the envelope; a push names its subscription); '' when the delivery has none. */
function sourceOf(event: RouterEvent): string {
  return event.source ?? event.delivery.cloudEvent.attributes['source'] ?? '';
}

export function keyOf(event: RouterEvent, spec: KeySpec): string {
  if (spec === true) {
    if (event.id === undefined) throw new KeyError('the event has no id to use as idempotency key');
    const source = sourceOf(event);
    // Length-prefixed, so no split of one string into source and id reads as another.
    return `${source.length}:${source}${event.id}`;
  }
  return spec.key.replace(/\{([A-Za-z_][\w.]*)\}/g, (_, path: string) => {
    const value = lookup(event, path);
    if (value === undefined || value === null || typeof value === 'object' || typeof value === 'function') {
      throw new KeyError(`idempotency key field {${path}} is missing from the event`);
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a primitive here: objects and functions are refused above
    return String(value);
  });
}

/** The lock of one route for one event: route name and key, bounded in length. */
export function lockKeyOf(route: string, event: RouterEvent, spec: KeySpec): string {
  const lock = `${route}\u0000${keyOf(event, spec)}`;
  return lock.length > MAX_KEY_LENGTH ? `sha256:${createHash('sha256').update(lock).digest('hex')}` : lock;
}
