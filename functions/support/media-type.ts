/** Media types compared without parameters and case: `application/json; charset=utf-8` is JSON. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}
