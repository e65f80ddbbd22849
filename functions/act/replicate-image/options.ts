/**
 * The routes file's `with:` block for `action: replicate-image`. Imported on
 * the cold-start path: schema only (google-auth-library is loaded on first use).
 */
import '../../support/schema';
import * as z from 'zod/mini';
import { parsePlatform } from '../../registry/manifest';
import { MAX_CONCURRENT_UPLOADS, MIN_PER_MINUTE } from '../../registry/quota';
import { parseHost } from '../../registry/reference';
import { parseSource } from './sources';
import { parseTarget } from './targets';

/** True when `parse` accepts the text: the parsers used at copy time decide what is valid here too. */
const accepts = (parse: (text: string) => unknown) => (text: string) => {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
};

const target = z.string().check(z.refine(accepts(parseTarget), 'a target is HOST/PROJECT/REPO[/IMAGE] (no tag or digest: the source tag is set)'));

const source = z.string().check(z.refine(accepts(parseSource), 'a source is HOST[:PORT][/PATH-PREFIX], e.g. us-docker.pkg.dev/build-proj/releases'));

const nonEmpty = z.string().check(z.minLength(1));
const host = z.string().check(z.refine(accepts(parseHost), 'a registry host: DNS name or IP address, optional :PORT'));

const credentialEntry = z
  .strictObject({
    host,
    username: nonEmpty,
    password: z.optional(z.string()),
    passwordEnv: z.optional(z.string()),
    /** The token service's host when it is not the registry's own (Docker Hub: auth.docker.io). */
    realm: z.optional(host),
  })
  .check(z.refine((c) => (c.password === undefined) !== (c.passwordEnv === undefined), 'give exactly one of password or passwordEnv'));

/** A target host's budget (registry/quota.ts); what is left out keeps Artifact Registry's published quota. */
const perMinute = z.optional(z.int().check(z.gte(MIN_PER_MINUTE)));
const quotaEntry = z.strictObject({
  host,
  requestsPerMinute: perMinute,
  writesPerMinute: perMinute,
  concurrentUploads: z.optional(z.int().check(z.gte(1), z.lte(MAX_CONCURRENT_UPLOADS))),
});

const platform = z.string().check(z.refine(accepts(parsePlatform), 'a platform is os/arch[/variant], e.g. linux/arm64/v8'));

const fields = z.strictObject({
  /** Where each matching image goes: other projects' or organisations' registries. */
  targets: z.array(target).check(z.minLength(1)),
  /** The only registries (and path prefixes) images are copied from; absent: Google registries of the deployment's project. */
  sources: z.optional(z.array(source).check(z.minLength(1))),
  /** On a tag deletion in the source, delete that tag in the targets too. Off by default. */
  deleteTags: z._default(z.boolean(), false),
  /** Copy only these platforms of an index; all when absent. */
  platforms: z.optional(z.array(platform).check(z.minLength(1))),
  /** Copy what refers to each copied manifest (cosign .sig/.att/.sbom tags, OCI `subject` referrers) after it, before the tag moves. */
  referrers: z._default(z.boolean(), true),
  /** Only referrers of these artifact types (e.g. application/vnd.dev.cosign.simplesigning.v1+json); all when absent. */
  artifactTypes: z.optional(z.array(nonEmpty).check(z.minLength(1))),
  /** Blobs copied in parallel per target. */
  jobs: z._default(z.int().check(z.gte(1), z.lte(32)), 4),
  /** Plain HTTP to non-loopback registries (loopback ones always use it). */
  insecure: z._default(z.boolean(), false),
  /** Username and password (or the name of an environment variable holding it) per non-Google host. */
  credentials: z._default(z.array(credentialEntry), []),
  /** Retries of one request or blob: attempts in total, and a bound on the time spent retrying. */
  retry: z._default(
    z.strictObject({ attempts: z._default(z.int().check(z.gte(1), z.lte(20)), 6), maxSeconds: z._default(z.number().check(z.positive(), z.lte(3600)), 120) }),
    { attempts: 6, maxSeconds: 120 },
  ),
  /** Requests and writes a minute and uploads at once per target host, shared by every copy in the instance. */
  quotas: z._default(z.array(quotaEntry), []),
});

/** The hosts of a route's targets: a quota for any other host is a typo, refused at start-up. */
const quotasNameTargets = (o: z.output<typeof fields>) => {
  if (!o.quotas.every((q) => accepts(parseHost)(q.host)) || !o.targets.every(accepts(parseTarget))) return true; // reported on the field
  const hosts = new Set(o.targets.map((t) => parseTarget(t).host));
  return o.quotas.every((q) => hosts.has(parseHost(q.host)));
};

export const replicateImageOptions = fields.check(z.refine(quotasNameTargets, "a quota's host must be the host of one of the route's targets"));

export type ReplicateImageOptions = z.output<typeof replicateImageOptions>;
