/**
 * Soak (issue 5, item 6a): N messages (default 20,000) through the real Pub/Sub
 * emulator, a push subscription with a dead-letter policy, to the real service
 * under functions-framework with an idempotent `forward` route. The target fails
 * 10% of requests with 503 (transient), so the emulator redelivers. Checks and
 * prints: every message's effect happened exactly once, none lost, none
 * dead-lettered that should not be.
 *
 *   node scripts/build-if-needed.js && node dist/bench/soak.js
 *   SOAK_MESSAGES=2000 SOAK_TIMEOUT_SECONDS=300 node dist/bench/soak.js
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { freePort, startPeer } from '../test/support/peer';
import { PROJECT, startPubSubEmulator } from '../test/support/pubsub-emulator';

const N = Number(process.env['SOAK_MESSAGES'] ?? 20000);
const TIMEOUT_MS = Number(process.env['SOAK_TIMEOUT_SECONDS'] ?? 600) * 1000;
const FAIL_RATE = Number(process.env['SOAK_FAIL_RATE'] ?? 0.1);
const MAX_ATTEMPTS = 10;
/** Share of messages whose effect takes longer than the 10 s ack deadline: the emulator redelivers them while they run. */
const SLOW_RATE = Number(process.env['SOAK_SLOW_RATE'] ?? 0.002);
const SLOW_MS = 12_000;

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'functions'))) dir = path.dirname(dir);
  return dir;
}

/** A seeded PRNG, so a run's failures can be reproduced. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const random = mulberry32(Number(process.env['SOAK_SEED'] ?? 42));
  const effects = new Map<string, number>(); // message n -> accepted count
  let targetRequests = 0;
  let injected = 0;
  let slow = 0;
  const target = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      targetRequests++;
      if (random() < FAIL_RATE) {
        injected++;
        res.writeHead(503).end('try later');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { message: { data: string } };
      const n = (JSON.parse(Buffer.from(body.message.data, 'base64').toString()) as { n: string }).n;
      const effect = () => {
        effects.set(n, (effects.get(n) ?? 0) + 1);
        res.writeHead(200).end('ok');
      };
      if (random() < SLOW_RATE) {
        slow++;
        setTimeout(effect, SLOW_MS);
      } else effect();
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/effect`;

  const routes = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'soak-')), 'routes.yaml');
  fs.writeFileSync(
    routes,
    `routes:\n  - name: effect\n    action: forward\n    idempotent: true\n    timeoutSeconds: 30\n    with: { url: "${targetUrl}", timeoutMs: 30000 }\n`,
  );
  const emulator = await startPubSubEmulator();
  const port = await freePort();
  const service = await startPeer(
    'eventarc-router',
    process.execPath,
    [
      path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      `--source=${path.join(root, 'dist/service/router.js')}`,
      '--target=router',
      '--signature-type=http',
    ],
    { env: { ...process.env, PORT: String(port), ROUTES_FILE: routes, NODE_ENV: 'production' }, readyPort: port, readyTimeoutMs: 20000, cwd: root },
  );
  // The service logs one line per failure; keep its output from piling up in this process.
  service.process.stdout?.removeAllListeners('data');
  if (process.env['SOAK_SERVICE_LOG']) service.process.stdout?.pipe(fs.createWriteStream(process.env['SOAK_SERVICE_LOG']));
  else service.process.stdout?.resume();
  // The service's 409 answers, counted from its log: redeliveries that arrived while the first run went on.
  let conflictCount = 0;
  service.process.stdout?.on('data', (c: Buffer) => (conflictCount += c.toString().split('is being handled by another delivery').length - 1));
  const conflicts = () => conflictCount;
  const started = Date.now();
  try {
    await emulator.createTopic('soak');
    await emulator.createTopic('soak-dead');
    await emulator.createSubscription('soak-dead-pull', 'soak-dead', {});
    await emulator.createPushSubscription(
      'soak-push',
      'soak',
      { pushEndpoint: `http://127.0.0.1:${port}/` },
      {
        deadLetterPolicy: { deadLetterTopic: `projects/${PROJECT}/topics/soak-dead`, maxDeliveryAttempts: MAX_ATTEMPTS },
        // The emulator retries a nack about every second without a retry policy; SOAK_RETRY_POLICY=1 sets one.
        ...(process.env['SOAK_RETRY_POLICY'] === '1' && { retryPolicy: { minimumBackoff: '0.1s', maximumBackoff: '2s' } }),
      },
    );
    for (let i = 0; i < N; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ data: JSON.stringify({ n: String(i + j) }) }));
      await emulator.publish('soak', batch);
    }
    const published = Date.now();
    const dead = new Map<string, number>();
    let rssMax = 0;
    let lastReport = 0;
    let lastProgress = { at: Date.now(), requests: 0 };
    const STALL_MS = Number(process.env['SOAK_STALL_SECONDS'] ?? 60) * 1000;
    while (Date.now() - started < TIMEOUT_MS && !interrupted) {
      if (targetRequests !== lastProgress.requests) lastProgress = { at: Date.now(), requests: targetRequests };
      else if (Date.now() - lastProgress.at > STALL_MS) {
        process.stderr.write(`  no delivery reached the target for ${STALL_MS / 1000} s: stopping\n`);
        break;
      }
      for (const m of await emulator.pull('soak-dead-pull', 1000)) {
        const n = (JSON.parse(m.data.toString()) as { n: string }).n;
        dead.set(n, (dead.get(n) ?? 0) + 1);
      }
      rssMax = Math.max(rssMax, rssMiB(service.pid));
      const settled = [...Array(N).keys()].filter((n) => effects.has(String(n)) || dead.has(String(n))).length;
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        process.stderr.write(
          `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${effects.size} effects, ${dead.size} dead-lettered, ${targetRequests} target requests, rss ${rssMax} MiB\n`,
        );
      }
      if (settled === N) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const drained = Date.now();
    // Give any stray redelivery the time to show up as a duplicate.
    await new Promise((r) => setTimeout(r, 5000));
    for (const m of await emulator.pull('soak-dead-pull', 1000)) {
      const n = (JSON.parse(m.data.toString()) as { n: string }).n;
      dead.set(n, (dead.get(n) ?? 0) + 1);
    }
    const ids = [...Array(N).keys()].map(String);
    const duplicates = ids.filter((n) => (effects.get(n) ?? 0) > 1).length;
    const lost = ids.filter((n) => !effects.has(n) && !dead.has(n)).length;
    const wrongDead = ids.filter((n) => dead.has(n) && effects.has(n)).length;
    if (lost > 0) {
      const lostIds = ids.filter((n) => !effects.has(n) && !dead.has(n));
      process.stderr.write(`  not settled: ${lostIds.slice(0, 20).join(' ')}${lostIds.length > 20 ? ' ...' : ''}\n`);
    }
    const figures = {
      messages: N,
      effectsExactlyOnce: ids.filter((n) => effects.get(n) === 1).length,
      duplicateEffects: duplicates,
      lost,
      deadLettered: dead.size,
      deadLetteredButEffected: wrongDead,
      targetRequests,
      transientFailuresInjected: injected,
      slowEffectsPastAckDeadline: slow,
      answered409WhileRunning: conflicts(),
      publishSeconds: (published - started) / 1000,
      drainSeconds: (drained - started) / 1000,
      messagesPerSecond: Math.round(N / ((drained - started) / 1000)),
      serviceRssMaxMiB: rssMax,
      timedOut: drained - started >= TIMEOUT_MS || lost > 0,
    };
    console.log(JSON.stringify(figures, null, 2));
    process.exitCode = duplicates === 0 && lost === 0 && wrongDead === 0 && !figures.timedOut ? 0 : 1;
  } finally {
    await service.stop();
    await emulator.stop();
    target.close();
  }
}

// Ctrl-C still stops the emulator and the service (by their PIDs, in the finally above).
let interrupted = false;
process.once('SIGINT', () => (interrupted = true));

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
