/**
 * The idempotency key of an event on a route: the event id, or a template over
 * the event such as `{object.bucket}/{object.name}#{object.generation}` (each
 * `{path}` a dotted path into the typed event).
 */
import type { RouterEvent } from '../../parse/event';

export type KeySpec = true | { readonly key: string };

export class KeyError extends Error {}

function lookup(event: RouterEvent, path: string): unknown {
  let value: unknown = event;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Validates a template at start-up, so a typo stops start-up rather than every event. */
export function checkKeyTemplate(template: string): void {
  if (!/\{[A-Za-z_][\w.]*\}/.test(template)) throw new KeyError(`idempotency key "${template}" names no {field} of the event`);
}

export function keyOf(event: RouterEvent, spec: KeySpec): string {
  if (spec === true) {
    if (event.id === undefined) throw new KeyError('the event has no id to use as idempotency key');
    return event.id;
  }
  return spec.key.replace(/\{([A-Za-z_][\w.]*)\}/g, (_, path: string) => {
    const value = lookup(event, path);
    if (value === undefined || value === null || typeof value === 'object') throw new KeyError(`idempotency key field {${path}} is missing from the event`);
    return String(value);
  });
}
