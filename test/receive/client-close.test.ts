/**
 * The lean server's client-close watch (receive/client-close.ts), through a real
 * server from the library's listen(): a client that goes away before its answer
 * aborts the route's signal with the reason, as under the framework; an answered
 * request's signal is never aborted, even when its connection closes afterwards;
 * and the body's bytes go back to the budget either way (the next body fits).
 */
import * as net from 'net';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { createRouter } from '../../functions/library';
import { deliveries, type DeliveryRequest } from '../../functions/testing';
import { memorySink } from '../../functions/support/logger';

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Sends `d` on a raw connection; closes it when `hangUp` resolves, else reads the answer to the end. */
function send(port: number, d: DeliveryRequest, hangUp?: Promise<unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(d.body ?? '');
    const head = [`${d.method} ${d.path} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${body.length}`, 'connection: close'];
    for (const [k, v] of Object.entries(d.headers)) if (k.toLowerCase() !== 'content-length') head.push(`${k}: ${v}`);
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head.join('\r\n') + '\r\n\r\n');
      socket.write(body);
      void hangUp?.then(() => socket.destroy());
    });
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the lean server: a client going away', () => {
  it("aborts the route's signal with the reason; an answered request's never aborts; the body budget is given back", async () => {
    const seen: { data: string; aborted: Promise<string> }[] = [];
    let started: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (started = resolve));
    // A body budget of one body: a body still counted would make the next one a 503.
    const router = createRouter({ env: { MAX_BODY_BYTES: '4096', MAX_BODY_BYTES_IN_FLIGHT: '4096', ROUTE_TIMEOUT_SECONDS: '20' }, sink: memorySink() }).on(
      { kind: 'pubsub.message' },
      async (event, ctx) => {
        const data = event.text();
        const aborted = new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve(String((ctx.signal.reason as Error).message))));
        seen.push({ data, aborted });
        // 'wait' holds until the client has gone; anything else answers at once.
        if (data === 'wait') {
          started();
          await aborted;
        }
      },
      { name: 'watch' },
    );
    const server = await router.listen({ port: 0, host: '127.0.0.1', shutdown: false });
    try {
      const { port } = server.address() as AddressInfo;
      const padding = 'x'.repeat(2500);
      await send(port, deliveries.pubsubMessage({ data: 'wait', attributes: { padding } }), waiting);
      await expect(seen[0].aborted).resolves.toBe('client closed the connection');

      // The first body (over half the budget) was given back: a second one is not refused.
      const answered = await send(port, deliveries.pubsubMessage({ data: 'now', attributes: { padding } }));
      expect(answered).toMatch(/^HTTP\/1\.1 204 /);
      expect(seen[1].data).toBe('now');
      const late = await Promise.race([seen[1].aborted, new Promise((r) => setTimeout(() => r('not aborted'), 200))]);
      expect(late).toBe('not aborted');
    } finally {
      await close(server);
    }
  });
});
