/**
 * The routes file's `with:` block for `action: copy-object`. Imported on the
 * cold-start path, so it holds only the schema.
 */
import '../../support/schema';
import * as z from 'zod/mini';
import { TEMPLATE_FIELDS, templateFields } from './target-name';

// Bucket naming rules, loosely: enough to catch a typo or a gs:// URL at start-up.
const bucketName = z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'not a bucket name (give the name only, without gs://)'));

const nameTemplate = z.string().check(
  z.minLength(1),
  z.refine(
    (t) => templateFields(t).every((f) => (TEMPLATE_FIELDS as readonly string[]).includes(f)),
    `unknown placeholder; use ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ')}`,
  ),
);

export const copyObjectOptions = z.strictObject({
  /** Target bucket (may be in another project or organisation; the service account needs access). */
  bucket: bucketName,
  /** Put in front of the rendered name, e.g. `incoming/`. */
  prefix: z._default(z.string(), ''),
  /** Target name template: {name}, {basename}, {dirname}, {bucket}, {generation}. */
  name: z._default(nameTemplate, '{name}'),
  /** Delete the copy when its source generation is deleted. Off by default. */
  deleteWithSource: z._default(z.boolean(), false),
  /** JSON API endpoint, e.g. a Private Service Connect one. Default: the client's. */
  apiEndpoint: z.optional(z.url()),
});

export type CopyObjectOptions = z.output<typeof copyObjectOptions>;
