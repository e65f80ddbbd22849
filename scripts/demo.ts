/**
 * `npm run demo`: a newcomer's first five minutes. Starts the Pub/Sub emulator
 * and the service on loopback, creates a wrapped and a noWrapper push
 * subscription, publishes a plain message, a Cloud Storage notification and an
 * Artifact Registry notification, and shows the service logging each. Stops
 * everything it started (by PID) on the way out.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const EMULATOR = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';
const FRAMEWORK = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const PROJECT = 'demo-project';
const children: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function waitForPort(port: number, what: string, child: ChildProcess, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net
        .connect(port, '127.0.0.1')
        .once('connect', () => (s.destroy(), resolve(true)))
        .once('error', () => resolve(false));
    });
    if (open) return;
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopAll() {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGTERM');
}

async function main() {
  const [emulatorPort, servicePort] = await Promise.all([freePort(), freePort()]);
  console.log(`starting the Pub/Sub emulator on 127.0.0.1:${emulatorPort} and eventarc-router on 127.0.0.1:${servicePort} ...`);
  const emulator = spawn(EMULATOR, ['--host=127.0.0.1', `--port=${emulatorPort}`], { stdio: 'ignore' });
  emulator.once('error', () => console.error(`cannot run ${EMULATOR}: install the Debian package google-cloud-cli-pubsub-emulator`));
  const service = spawn(
    process.execPath,
    [FRAMEWORK, `--source=${path.join(ROOT, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http'],
    {
      env: { ...process.env, PORT: String(servicePort), ROUTES_FILE: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(emulator, service);
  let shown = 0;
  service.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { severity: string; message: string };
      console.log(`  service log  ${e.severity.padEnd(7)} ${e.message}`);
      if (e.message.startsWith('GCS object') || e.message.startsWith('Pub/Sub message') || e.message.startsWith('Image')) shown++;
    }
  });
  await Promise.all([waitForPort(emulatorPort, 'the Pub/Sub emulator', emulator), waitForPort(servicePort, 'the service', service)]);

  const api = async (method: string, p: string, body?: Record<string, unknown>) => {
    const res = await fetch(`http://127.0.0.1:${emulatorPort}/v1/projects/${PROJECT}/${p}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const push = `http://127.0.0.1:${servicePort}/`;
  for (const t of ['events', 'gcs-notifications', 'gcr']) await api('PUT', `topics/${t}`);
  await api('PUT', 'subscriptions/events-push', { topic: `projects/${PROJECT}/topics/events`, pushConfig: { pushEndpoint: push } });
  await api('PUT', 'subscriptions/events-nowrap', {
    topic: `projects/${PROJECT}/topics/events`,
    pushConfig: { pushEndpoint: push, noWrapper: { writeMetadata: true } },
  });
  await api('PUT', 'subscriptions/gcs-push', { topic: `projects/${PROJECT}/topics/gcs-notifications`, pushConfig: { pushEndpoint: push } });
  await api('PUT', 'subscriptions/gcr-push', { topic: `projects/${PROJECT}/topics/gcr`, pushConfig: { pushEndpoint: push } });
  console.log('created topics events, gcs-notifications, gcr and push subscriptions to the service\n');

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const object = {
    kind: 'storage#object',
    bucket: 'demo-bucket',
    name: 'uploads/2026/report.csv',
    generation: '1700000000000001',
    size: '1024',
    contentType: 'text/csv',
  };
  console.log('publishing: a plain message (to two subscriptions), a Cloud Storage notification, an Artifact Registry notification');
  await api('POST', 'topics/events:publish', { messages: [{ data: b64('{"hello":"eventarc-router"}'), attributes: { origin: 'demo' } }] });
  await api('POST', 'topics/gcs-notifications:publish', {
    messages: [
      {
        data: b64(JSON.stringify(object)),
        attributes: {
          eventType: 'OBJECT_FINALIZE',
          payloadFormat: 'JSON_API_V1',
          bucketId: object.bucket,
          objectId: object.name,
          objectGeneration: object.generation,
          eventTime: new Date().toISOString(),
        },
      },
    ],
  });
  await api('POST', 'topics/gcr:publish', {
    messages: [
      {
        data: b64(
          JSON.stringify({
            action: 'INSERT',
            digest: `us-docker.pkg.dev/${PROJECT}/images/app@sha256:${'ab'.repeat(32)}`,
            tag: `us-docker.pkg.dev/${PROJECT}/images/app:v1.0.0`,
          }),
        ),
      },
    ],
  });
  const deadline = Date.now() + 15000;
  while (shown < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  console.log(
    shown >= 4
      ? '\nall four deliveries logged. Next: write a routes file (README: "Routes file") and run `ROUTES_FILE=routes.yaml npm start`.'
      : `\nonly ${shown} of 4 deliveries logged in 15 s`,
  );
  stopAll();
  process.exitCode = shown >= 4 ? 0 : 1;
}

process.on('SIGINT', () => (stopAll(), process.exit(130)));
main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  stopAll();
  process.exitCode = 1;
});
