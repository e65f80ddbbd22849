/**
 * What a registry's recent answers said about a repository (does it serve the
 * referrers API, is its tag list short), remembered for a while: a running
 * service then asks only the way that answers, and a registry that changed
 * meanwhile is asked again soon. Events name repositories, so the memory is
 * bounded: when full, it starts over.
 */
export class RepositoryFacts<T> {
  private readonly facts = new Map<string, { readonly value: T; readonly at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxRepositories = 1024,
  ) {}

  /** The value last remembered for `repository`, undefined when none or older than the TTL. */
  get(repository: string): T | undefined {
    const known = this.facts.get(repository);
    return known && performance.now() - known.at <= this.ttlMs ? known.value : undefined;
  }

  set(repository: string, value: T): void {
    if (this.facts.size >= this.maxRepositories && !this.facts.has(repository)) this.facts.clear();
    this.facts.set(repository, { value, at: performance.now() });
  }
}
