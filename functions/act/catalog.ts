/**
 * The built-in actions a routes file can name. The router itself never imports an
 * action: it is handed this list. Only `log` (the default route) is loaded at
 * start; every other action's module, option schema included, is loaded when a
 * route first names it, so a deployment pays at cold start only for what it uses.
 */
import type { ActionDefinition } from './action';
import { logAction } from './log';

/** A definition that loads its module on first use of its options or create(). */
function onDemand<O>(name: string, load: () => ActionDefinition<O>): ActionDefinition<O> {
  let loaded: ActionDefinition<O> | undefined;
  const definition = () => (loaded ??= load());
  return {
    name,
    get options() {
      return definition().options;
    },
    create: (options, environment) => definition().create(options, environment),
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const builtInActions: readonly ActionDefinition<any>[] = [
  logAction,
  onDemand('forward', () => (require('./forward') as typeof import('./forward')).forwardAction),
  onDemand('copy-object', () => (require('./copy-object') as typeof import('./copy-object')).copyObjectAction),
  onDemand('replicate-image', () => (require('./replicate-image') as typeof import('./replicate-image')).replicateImageAction),
];
