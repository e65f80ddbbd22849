/** Renders the target object name from the route's prefix and template. Pure. */

export const TEMPLATE_FIELDS = ['name', 'basename', 'dirname', 'bucket', 'generation'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** Object names are at most 1024 bytes of UTF-8. */
export const MAX_OBJECT_NAME_BYTES = 1024;

export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
}

export function templateValues(source: { bucket: string; name: string; generation: bigint }): Record<TemplateField, string> {
  const slash = source.name.lastIndexOf('/');
  return {
    name: source.name,
    basename: source.name.slice(slash + 1),
    dirname: slash < 0 ? '' : source.name.slice(0, slash),
    bucket: source.bucket,
    generation: source.generation.toString(),
  };
}

/** undefined when the result is not a usable object name (empty or too long). */
export function renderTargetName(prefix: string, template: string, source: { bucket: string; name: string; generation: bigint }): string | undefined {
  const values = templateValues(source);
  const rendered = prefix + template.replace(/\{([^{}]*)\}/g, (whole, field: string) => (field in values ? values[field as TemplateField] : whole));
  if (rendered === '' || Buffer.byteLength(rendered, 'utf8') > MAX_OBJECT_NAME_BYTES) return undefined;
  return rendered;
}
