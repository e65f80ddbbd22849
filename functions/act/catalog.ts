/**
 * The built-in actions a routes file can name. The router itself never imports an
 * action: it is handed this list. Each entry must be cheap to import (its option
 * schema and a create() that loads heavy clients lazily) because this file is on
 * the cold-start path.
 */
import type { ActionDefinition } from './action';
import { logAction } from './log';
import { forwardAction } from './forward';
import { copyObjectAction } from './copy-object';
import { replicateImageAction } from './replicate-image';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const builtInActions: readonly ActionDefinition<any>[] = [
  logAction,
  forwardAction,
  copyObjectAction,
  replicateImageAction,
];
