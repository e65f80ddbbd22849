/**
 * A real HTTP hop in front of the service that counts each delivery by its Pub/Sub
 * message id (noWrapper header or wrapped body) and records the status answered,
 * so a test can see how often Pub/Sub delivered a message and what it was told.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface Delivery {
  readonly messageId?: string;
  readonly status: number;
  readonly bytes: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Deliveries of one message id. */
  of(messageId: string): Delivery[];
  close(): Promise<void>;
}

function messageIdOf(headers: http.IncomingHttpHeaders, body: Buffer): string | undefined {
  const header = headers['x-goog-pubsub-message-id'];
  if (typeof header === 'string') return header;
  try {
    const json = JSON.parse(body.toString('utf8')) as { message?: { messageId?: string; message_id?: string } };
    return json.message?.messageId ?? json.message?.message_id;
  } catch {
    return undefined;
  }
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const deliveries: Delivery[] = [];
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: to.host, 'content-length': String(body.length) };
      const out = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers }, (answer) => {
        answer.resume();
        answer.on('end', () => {
          const id = messageIdOf(req.headers, body);
          deliveries.push({ ...(id !== undefined && { messageId: id }), status: answer.statusCode ?? 0, bytes: body.length });
          res.writeHead(answer.statusCode ?? 502, { 'content-type': 'text/plain' });
          res.end();
        });
      });
      out.on('error', () => {
        deliveries.push({ status: 502, bytes: body.length });
        res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    of: (id) => deliveries.filter((d) => d.messageId === id),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
