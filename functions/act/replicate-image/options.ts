/**
 * The routes file's `with:` block for `action: replicate-image`. Imported on
 * the cold-start path: schema only (google-auth-library is loaded on first use).
 */
import { z } from 'zod';
import { parsePlatform } from '../../registry/manifest';
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

const target = z.string().refine(accepts(parseTarget), 'a target is HOST/PROJECT/REPO[/IMAGE] (no tag or digest: the source tag is set)');

const credentialEntry = z
  .strictObject({
    host: z.string().min(1),
    username: z.string().min(1),
    password: z.string().optional(),
    passwordEnv: z.string().optional(),
  })
  .refine((c) => (c.password === undefined) !== (c.passwordEnv === undefined), 'give exactly one of password or passwordEnv');

const platform = z.string().refine(accepts(parsePlatform), 'a platform is os/arch[/variant], e.g. linux/arm64/v8');

export const replicateImageOptions = z.strictObject({
  /** Where each matching image goes: other projects' or organisations' registries. */
  targets: z.array(target).min(1),
  /** On a tag deletion in the source, delete that tag in the targets too. Off by default. */
  deleteTags: z.boolean().default(false),
  /** Copy only these platforms of an index; all when absent. */
  platforms: z.array(platform).min(1).optional(),
  /** Blobs copied in parallel per target. */
  jobs: z.number().int().min(1).max(32).default(4),
  /** Plain HTTP to non-loopback registries (loopback ones always use it). */
  insecure: z.boolean().default(false),
  /** Username and password (or the name of an environment variable holding it) per non-Google host. */
  credentials: z.array(credentialEntry).default([]),
  /** Retries of one request or blob: attempts in total, and a bound on the time spent retrying. */
  retry: z
    .strictObject({ attempts: z.number().int().min(1).max(20).default(6), maxSeconds: z.number().positive().max(3600).default(120) })
    .default({ attempts: 6, maxSeconds: 120 }),
});

export type ReplicateImageOptions = z.output<typeof replicateImageOptions>;
