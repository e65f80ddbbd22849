/**
 * The streamed digest check.
 */
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { digestVerifier, sha256Digest } from '../../functions/registry/digest';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('the streamed digest check passes good bytes and stops a wrong blob before its last chunk', async () => {
  const bytes = Buffer.alloc(200_000, 7);
  const received: Buffer[] = [];
  const sink = () => new Writable({ write: (c, _e, done) => void (received.push(c), done()) });
  let counted = 0;
  await pipeline(
    Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
    digestVerifier(sha256Digest(bytes), bytes.length, 'blob', (n) => (counted += n)),
    sink(),
  );
  expect(Buffer.concat(received).equals(bytes)).toBe(true);
  expect(counted).toBe(bytes.length);

  received.length = 0;
  await expect(
    pipeline(
      Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]),
      digestVerifier(DIGEST, bytes.length, 'blob', () => undefined),
      sink(),
    ),
  ).rejects.toThrow(`blob: digest mismatch (expected ${DIGEST}`);
  expect(Buffer.concat(received).length).toBeLessThan(bytes.length);
});
