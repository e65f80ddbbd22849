/**
 * What a payload decoder reads of a delivery, whatever carried it: the CloudEvent
 * attributes it needs and the data bytes as received. Primitives only, so a
 * decoder knows no envelope and an envelope no payload.
 */
export interface PayloadInput {
  readonly type: string;
  readonly subject?: string;
  readonly source?: string;
  readonly dataContentType?: string;
  readonly data: Buffer;
  /** CloudEvent extension attributes by name as delivered (Eventarc's are lower case: `database`, `servicename`). */
  readonly extensions: Readonly<Record<string, string>>;
}

/** An extension attribute, own properties only (a name Object.prototype answers to finds nothing). */
export function extensionOf(input: PayloadInput, name: string): string | undefined {
  return Object.hasOwn(input.extensions, name) ? input.extensions[name] : undefined;
}
