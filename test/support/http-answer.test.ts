/**
 * An answer as a client receives it from a real node:http server on loopback: a body
 * goes with its Content-Length (in bytes), never chunked, and an answer without one has none.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { writeAnswer, type Answer } from '../../functions/support/http-answer';

async function received(answer: Answer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const server = http.createServer((_req, res) => writeAnswer(res, answer));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        })
        .on('error', reject);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('writeAnswer', () => {
  it.each([
    ['ASCII JSON', '{"acknowledged":true,"handled":true}'],
    ['multi-byte text', 'route ünïcødé ✓ failed\n'],
  ])('sends a body (%s) with its length in bytes, not chunked', async (_name, body) => {
    const got = await received({ status: 200, headers: { 'content-type': 'application/json' }, body });
    expect(got.status).toBe(200);
    expect(got.body).toBe(body);
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(got.headers['transfer-encoding']).toBeUndefined();
    expect(got.headers['content-type']).toBe('application/json');
  });

  it('sends an answer without a body as it is (204)', async () => {
    const got = await received({ status: 204, headers: {} });
    expect(got.status).toBe(204);
    expect(got.body).toBe('');
    expect(got.headers['transfer-encoding']).toBeUndefined();
  });
});
