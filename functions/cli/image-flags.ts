/** What copy-image and sync-images share: their common flags, declared and checked once, their registries and Ctrl-C. */
import { readCopyImageSettings } from '../config';
import type { ReferrerOptions } from '../registry/copy';
import { credentialSource } from '../registry/credentials';
import type { RegistryQuotas } from '../registry/quota';
import { Registries } from '../registry/registries';
import { DEFAULT_RETRY } from '../registry/retry';
import { HelpRequested } from './usage';

/** For util.parseArgs, beside each command's own options. */
export const IMAGE_COPY_OPTIONS = {
  jobs: { type: 'string' },
  insecure: { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'artifact-type': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ImageCopyValues {
  readonly jobs?: string;
  readonly insecure?: boolean;
  readonly 'no-referrers'?: boolean;
  readonly 'artifact-type'?: string[];
  readonly help?: boolean;
}

export interface ImageCopyFlags {
  readonly jobs: number;
  readonly insecure: boolean;
  readonly referrers: ReferrerOptions | false;
}

/** Throws HelpRequested for --help, a usage message for a bad value. */
export function imageCopyFlags(values: ImageCopyValues, maxJobs: number): ImageCopyFlags {
  if (values.help) throw new HelpRequested();
  if (values['no-referrers'] && values['artifact-type']) throw new Error('--no-referrers and --artifact-type exclude each other');
  const jobs = values.jobs === undefined ? 4 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > maxJobs) throw new Error(`--jobs must be an integer from 1 to ${maxJobs}`);
  return { jobs, insecure: values.insecure ?? false, referrers: values['no-referrers'] ? false : { artifactTypes: values['artifact-type'] } };
}

/** The registries a command copies between: its --insecure, the credentials of its environment, the default retries. */
export function commandRegistries(insecure: boolean, env: Readonly<Record<string, string | undefined>>, quotas?: RegistryQuotas): Registries {
  return new Registries({
    insecure,
    credentials: credentialSource(readCopyImageSettings(env).registryCredentials, env),
    retry: DEFAULT_RETRY,
    ...(quotas && { quotas }),
  });
}

/** A signal that Ctrl-C (or SIGTERM) aborts until `release()`: a command's copies stop, each moving its tag last. */
export function interruption(): { readonly signal: AbortSignal; release(): void } {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
