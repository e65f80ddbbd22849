/**
 * The real Pub/Sub emulator (Debian package google-cloud-cli-pubsub-emulator),
 * started by its launcher, which execs java, so the PID we hold is the one to stop.
 * Spoken to over its REST API.
 */
import { freePort, requireExecutable, startPeer, type Peer } from './peer';

export const EMULATOR = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';
export const PROJECT = 'test-project';

export interface PushConfig {
  readonly pushEndpoint: string;
  readonly noWrapper?: { readonly writeMetadata: boolean };
  readonly oidcToken?: { readonly serviceAccountEmail: string; readonly audience?: string };
}

export interface PubSubEmulator {
  readonly host: string;
  readonly peer: Peer;
  stop(): Promise<void>;
  createTopic(topic: string): Promise<void>;
  createSubscription(name: string, topic: string, body: Record<string, unknown>): Promise<void>;
  createPushSubscription(name: string, topic: string, push: PushConfig, extra?: Record<string, unknown>): Promise<void>;
  deleteSubscription(name: string): Promise<void>;
  publish(topic: string, messages: { data?: Buffer | string; attributes?: Record<string, string>; orderingKey?: string }[]): Promise<string[]>;
  /** Pull (and acknowledge) up to `max` messages from a pull subscription. */
  pull(subscription: string, max?: number): Promise<{ messageId: string; data: Buffer; attributes: Record<string, string> }[]>;
}

export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  requireExecutable(EMULATOR, 'google-cloud-cli-pubsub-emulator');
  const port = await freePort();
  const peer = await startPeer('pubsub-emulator', EMULATOR, [`--host=127.0.0.1`, `--port=${port}`], {
    readyPort: port,
    readyTimeoutMs: 60000,
  });
  const host = `127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://${host}/v1/projects/${PROJECT}/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  return {
    host,
    peer,
    stop: () => peer.stop(),
    createTopic: async (topic) => void (await call('PUT', `topics/${topic}`)),
    createSubscription: async (name, topic, body) =>
      void (await call('PUT', `subscriptions/${name}`, { topic: `projects/${PROJECT}/topics/${topic}`, ...body })),
    createPushSubscription: async (name, topic, push, extra = {}) =>
      void (await call('PUT', `subscriptions/${name}`, { topic: `projects/${PROJECT}/topics/${topic}`, pushConfig: push, ackDeadlineSeconds: 10, ...extra })),
    deleteSubscription: async (name) => void (await call('DELETE', `subscriptions/${name}`)),
    async publish(topic, messages) {
      const res = await call('POST', `topics/${topic}:publish`, {
        messages: messages.map((m) => ({
          ...(m.data !== undefined && { data: Buffer.from(m.data).toString('base64') }),
          ...(m.attributes && { attributes: m.attributes }),
          ...(m.orderingKey && { orderingKey: m.orderingKey }),
        })),
      });
      return res['messageIds'] as string[];
    },
    async pull(subscription, max = 100) {
      const res = (await call('POST', `subscriptions/${subscription}:pull`, { maxMessages: max, returnImmediately: true })) as {
        receivedMessages?: { ackId: string; message: { messageId: string; data?: string; attributes?: Record<string, string> } }[];
      };
      const received = res.receivedMessages ?? [];
      if (received.length > 0) await call('POST', `subscriptions/${subscription}:acknowledge`, { ackIds: received.map((r) => r.ackId) });
      return received.map((r) => ({
        messageId: r.message.messageId,
        data: Buffer.from(r.message.data ?? '', 'base64'),
        attributes: r.message.attributes ?? {},
      }));
    },
  };
}
