/**
 * The pipeline alone, in process: CPU per event of app.handle() (parse, route,
 * the `log` action formatting its line for a null sink, the answer) for the same
 * Eventarc messagePublished event as bench/serving, with no HTTP around it.
 * Steadier than the served figures, so it shows what a change to the hot path did;
 * the served figures stay the goal's measure. Run outside a node:domain, inside
 * one, and as under Functions Framework: each request called in a domain of its
 * own (the framework makes one per request) that the router leaves first, as its
 * httpHandler does, and awaited outside it (the framework only adds a .catch).
 * Also a Firestore document event as Eventarc delivers it by default for Firebase
 * (binary mode, `application/protobuf` data: Google's DocumentEventData-complex
 * example, every value type), outside a domain.
 * Usage: npm run bench:pipeline [-- --events 200000 --rounds 5]
 */
import * as domain from 'domain';
import * as path from 'path';
import { parseArgs } from 'util';
import { createApp } from '../functions/app';
import { nullSink } from '../functions/support/logger';
import type { RawRequest } from '../functions/receive/raw-request';
import { firestoreRequest, pubsubRequest } from './sample-event';

const ROOT = path.resolve(__dirname, '..', '..');

const raw = pubsubRequest();
const firestoreRaw = firestoreRequest();

async function measure(events: number, rounds: number, perRequestDomain = false, request: RawRequest = raw): Promise<number[]> {
  const app = createApp({ env: { ROUTES_FILE: path.join(ROOT, 'bench', 'routes-null-log.yaml') }, sink: nullSink });
  const perEvent: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < events; i++) {
      const handled = perRequestDomain
        ? domain.create().run(() => ((process as { domain?: { exit(): void } | null }).domain?.exit(), app.handle(raw)))
        : app.handle(request);
      if (handled instanceof Promise) await handled;
    }
    const used = process.cpuUsage(before);
    perEvent.push((used.user + used.system) / events);
  }
  return perEvent;
}

async function main() {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const outside = await measure(events, rounds);
  const inside = await new Promise<number[]>((resolve, reject) => domain.create().run(() => void measure(events, rounds).then(resolve, reject)));
  const exited = await measure(events, rounds, true);
  const firestore = await measure(events, rounds, false, firestoreRaw);
  console.log(`pipeline benchmark: ${rounds} rounds of ${events} events, node ${process.version}`);
  console.log(`CPU µs per event, outside a domain: ${median(outside).toFixed(2)} (rounds: ${outside.map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`CPU µs per event, inside a node:domain: ${median(inside).toFixed(2)} (rounds: ${inside.map((x) => x.toFixed(2)).join(' ')})`);
  console.log(
    `CPU µs per event, in a domain per request, left first (as httpHandler under Functions Framework): ${median(exited).toFixed(2)} (rounds: ${exited.map((x) => x.toFixed(2)).join(' ')})`,
  );
  console.log(
    `CPU µs per event, a Firestore document event (protobuf, every value type), outside a domain: ${median(firestore).toFixed(2)} (rounds: ${firestore.map((x) => x.toFixed(2)).join(' ')})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
