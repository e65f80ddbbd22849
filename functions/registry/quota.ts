/**
 * How hard the instance presses one registry host: requests a minute, writes a
 * minute, and blob uploads at once. One HostQuota per host, shared by every copy
 * the instance runs (every route, every request, both as source and as target):
 * a registry counts its quota per project and region, not per copy, and twenty
 * events at once must not each believe they have the whole of it.
 *
 * The defaults are Artifact Registry's published per-project quotas
 * (https://cloud.google.com/artifact-registry/quotas, "Requests per project"):
 * 60,000 requests and 18,000 write requests a minute per region or
 * multi-region; deletes have a quota of their own of 18,000 and are counted
 * here as writes. A host (`europe-docker.pkg.dev`) is a region shared by every
 * project in it, so a limit per host is the stricter reading when several target
 * projects share one. Concurrent uploads are not an Artifact Registry quota:
 * ours, so that many copies at once do not open a stream per blob each.
 *
 * Created once per app (app.ts, a CLI run) and handed down; never module state,
 * so two apps in one process, or two tests, do not share a budget.
 */
import { createLimiter, createRateLimiter, type Clock, type Limiter, type RateLimiter } from './limit';

export interface QuotaLimits {
  readonly requestsPerMinute: number;
  readonly writesPerMinute: number;
  readonly concurrentUploads: number;
}

export const ARTIFACT_REGISTRY_LIMITS: QuotaLimits = { requestsPerMinute: 60_000, writesPerMinute: 18_000, concurrentUploads: 16 };

/** The smallest rates a route may set (one a second): below that a copy of one image takes minutes. */
export const MIN_PER_MINUTE = 60;
export const MAX_CONCURRENT_UPLOADS = 64;

/** Methods that change the registry: Artifact Registry counts them against the write (and delete) quota. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isWrite(method: string): boolean {
  return WRITES.has(method);
}

export class HostQuota {
  private readonly requests: RateLimiter;
  private readonly writes: RateLimiter;
  /** Blob uploads (start to last byte) in flight to this host, across every copy. */
  readonly uploads: Limiter;

  constructor(
    readonly limits: QuotaLimits,
    clock?: Clock,
  ) {
    this.requests = createRateLimiter(limits.requestsPerMinute, clock);
    this.writes = createRateLimiter(limits.writesPerMinute, clock);
    this.uploads = createLimiter(limits.concurrentUploads);
  }

  /** Waits until one more `method` request may go to the host (every request counts, a write twice). */
  async request(method: string, signal?: AbortSignal): Promise<void> {
    if (isWrite(method)) await this.writes(signal);
    await this.requests(signal);
  }
}

export class RegistryQuotas {
  private readonly declared = new Map<string, QuotaLimits>();
  private readonly hosts = new Map<string, HostQuota>();

  constructor(
    private readonly defaults: QuotaLimits = ARTIFACT_REGISTRY_LIMITS,
    private readonly clock?: Clock,
  ) {}

  /**
   * A route's limits for a host, at start-up. Two routes naming the same host
   * share one budget, so the stricter value of each limit is kept.
   */
  declare(host: string, limits: Partial<QuotaLimits>): void {
    if (this.hosts.has(host)) throw new Error(`the quota of ${host} is declared after its first use`);
    const current = this.limitsOf(host);
    const stricter = (key: keyof QuotaLimits) => Math.min(current[key], limits[key] ?? current[key]);
    this.declared.set(host, {
      requestsPerMinute: stricter('requestsPerMinute'),
      writesPerMinute: stricter('writesPerMinute'),
      concurrentUploads: stricter('concurrentUploads'),
    });
  }

  limitsOf(host: string): QuotaLimits {
    return this.declared.get(host) ?? this.defaults;
  }

  /** The one quota of `host` in this instance, made on first use. */
  of(host: string): HostQuota {
    let quota = this.hosts.get(host);
    if (!quota) {
      quota = new HostQuota(this.limitsOf(host), this.clock);
      this.hosts.set(host, quota);
    }
    return quota;
  }
}
