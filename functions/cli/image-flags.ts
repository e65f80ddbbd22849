/** The flags copy-image and sync-images share, declared and checked once. */
import type { ReferrerOptions } from '../registry/copy';
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
