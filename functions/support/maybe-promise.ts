/**
 * Values that are there now or later. The request path stays synchronous while
 * every step is (the log action is): under Functions Framework every promise pays
 * for the framework's domain hooks and destroy tracking, about 2 µs each, which
 * for a no-op-sized event is a measurable share of its cost.
 */
export type MaybePromise<T> = T | Promise<T>;

export const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** `next(value)` now, or once the promise settles; a synchronous throw of `next` propagates synchronously. */
export function andThen<T, U>(value: MaybePromise<T>, next: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? (value as Promise<T>).then(next) : next(value as T);
}

/** `fallback(error)` for a synchronous throw or a rejection of `run()`. */
export function recover<T>(run: () => MaybePromise<T>, fallback: (error: unknown) => T): MaybePromise<T> {
  let value: MaybePromise<T>;
  try {
    value = run();
  } catch (error) {
    return fallback(error);
  }
  return isThenable(value) ? (value as Promise<T>).catch(fallback) : value;
}

/** Runs `after` once `value` is settled, either way, now or later. */
export function lastly<T>(value: MaybePromise<T>, after: () => void): MaybePromise<T> {
  if (isThenable(value)) return (value as Promise<T>).finally(after);
  after();
  return value;
}
