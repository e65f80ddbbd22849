/** Cutting UTF-8 bytes to a bound without splitting a character (Pub/Sub and Cloud Logging bound bytes, not characters). */

/** The longest prefix of `bytes` of at most `maxBytes` that ends on a character boundary. */
export function utf8Prefix(bytes: Buffer, maxBytes: number): Buffer {
  let end = Math.min(maxBytes, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
