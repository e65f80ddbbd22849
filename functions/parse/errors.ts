/**
 * The two ways a request can fail to become an event. The difference decides
 * redelivery: a PayloadError is a real delivery that can never succeed (acknowledge
 * and preserve it), a NotADelivery is a request that is no delivery at all (4xx).
 */
import type { core } from 'zod/mini';
import { DispositionError } from '../support/disposition';

// A problem often quotes the input (a reference, a resource name): kept short, as it goes
// into the answer, an ERROR entry and a dead-letter attribute on every redelivery.
const MAX_PROBLEM_CHARS = 500;
const bounded = (text: string) => (text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS)}… (${text.length} characters)` : text);

/** A delivery whose payload can never be handled: bad base64, invalid JSON, a missing field. */
export class PayloadError extends DispositionError {
  /**
   * @param shape what was being parsed, e.g. "pubsub-push" or "StorageObjectData"
   * @param path where in it, e.g. "message.data" (empty for the whole thing)
   * @param problem what is wrong there
   */
  readonly problem: string;
  constructor(
    readonly shape: string,
    readonly path: string,
    problem: string,
  ) {
    const shown = bounded(problem);
    super(`${shape}${path ? ` ${path}` : ''}: ${shown}`, 'permanent');
    this.problem = shown;
    this.name = 'PayloadError';
  }

  /** The same problem, re-pointed below an outer field (an envelope's error names the outer path). */
  within(outerShape: string, outerPath: string): PayloadError {
    return new PayloadError(outerShape, [outerPath, this.path].filter(Boolean).join('.'), `${this.shape}: ${this.problem}`);
  }
}

/** A request that is no delivery shape at all. */
export class NotADeliveryError extends Error {
  constructor(
    readonly status: 400 | 405 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'NotADeliveryError';
  }
}

/** The first issue of a failed zod parse, as a PayloadError naming the field. */
export function fromZodError(shape: string, error: core.$ZodError, basePath = ''): PayloadError {
  const issue = error.issues[0];
  const path = [basePath, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new PayloadError(shape, path, issue?.message ?? 'invalid');
}
