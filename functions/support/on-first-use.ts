/**
 * A value made on first use and shared afterwards: how heavy clients (Pub/Sub,
 * Firestore, google-auth-library) stay off the cold-start path. The promise is
 * what is kept, so concurrent first callers share one client instead of each
 * making their own.
 */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((err: unknown) => {
      made = undefined; // a failed load (e.g. a missing module) is retried on the next call
      throw err;
    }));
}
