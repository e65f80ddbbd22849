/**
 * The forward action's outbound path alone: the handler in this process (no
 * server in front of it), a bare node:http target in another answering 204, 10
 * events at a time; this process's CPU time per event. With BENCH_BEFORE=<another
 * built checkout> its handler runs too, alternating with this one's, so the ratio
 * comes from one run.
 *
 *   node scripts/build-if-needed.js && node dist/bench/forward-outbound.js
 *
 * Environment: BENCH_EVENTS (per round, default 5000), BENCH_ROUNDS (default 3), BENCH_BEFORE.
 */
import * as path from 'path';
import { freePort, startPeer } from '../test/support/peer';
import { eventarcPubSubEvent } from '../test/support/events/forward';
import { createLogger, memorySink } from '../functions/support/logger';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 10;

type Handler = ((event: unknown, ctx: unknown) => Promise<unknown>) & { close(): void };

/** The compiled forward handler of a checkout (dist/functions/act/forward). */
function loadHandler(root: string, url: string): Handler {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createForwardHandler } = require(path.join(root, 'dist', 'functions', 'act', 'forward', 'handler.js'));
  const { forwardOptions } = require(path.join(root, 'dist', 'functions', 'act', 'forward', 'options.js'));
  /* eslint-enable @typescript-eslint/no-require-imports */
  return createForwardHandler(forwardOptions.parse({ url }), { idTokenSource: async () => 'unused' }) as Handler;
}

async function main(): Promise<void> {
  const port = await freePort();
  const code = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(204);s.end()})}).listen(${port},'127.0.0.1')`;
  const target = await startPeer('target', process.execPath, ['-e', code], { readyPort: port });
  const url = `http://127.0.0.1:${port}/events`;
  const here = path.resolve(__dirname, '..', '..');
  const handlers: { name: string; handler: Handler; cpuUs: number[] }[] = [{ name: 'this checkout', handler: loadHandler(here, url), cpuUs: [] }];
  if (process.env.BENCH_BEFORE)
    handlers.push({ name: `before (${process.env.BENCH_BEFORE})`, handler: loadHandler(path.resolve(process.env.BENCH_BEFORE), url), cpuUs: [] });
  const event = eventarcPubSubEvent();
  const log = createLogger(memorySink());
  const run = async (handler: Handler, n: number) => {
    let next = 0;
    const worker = async () => {
      while (next++ < n) await handler(event, { log, signal: new AbortController().signal, route: 'relay' });
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  try {
    for (const h of handlers) await run(h.handler, EVENTS); // warm-up: JIT, connections
    for (let round = 0; round < ROUNDS; round++) {
      for (const h of handlers) {
        const before = process.cpuUsage();
        await run(h.handler, EVENTS);
        const used = process.cpuUsage(before);
        h.cpuUs.push((used.user + used.system) / EVENTS);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`outbound path: ${EVENTS} events x ${ROUNDS} rounds, ${CONCURRENCY} at a time; CPU us per event of this process`);
    for (const h of handlers) console.log(`${h.name.padEnd(40)} ${h.cpuUs.map((x) => x.toFixed(0)).join(' / ')}  (median ${median(h.cpuUs).toFixed(0)})`);
    if (handlers.length === 2)
      console.log(`ratio this / before (median of per-round ratios): ${median(handlers[0].cpuUs.map((x, i) => x / handlers[1].cpuUs[i])).toFixed(2)}`);
  } finally {
    for (const h of handlers) h.handler.close();
    await target.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
