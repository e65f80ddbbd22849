/**
 * Two builds of the pipeline in one process, rounds interleaved: CPU per event of
 * app.handle() for bench/pipeline's Eventarc messagePublished event and its Firestore
 * protobuf event (DocumentEventData-complex), through each build's own `log` route to a
 * null sink. On a shared machine two separate runs drift by more than a small change
 * moves; the ratio of rounds run side by side does not (docs/benchmarks.md).
 * Each directory is a checkout built with scripts/build-if-needed.js.
 * Usage: node dist/bench/pipeline-ab.js --before DIR --after DIR [--events 20000 --rounds 20]
 */
import * as path from 'path';
import { parseArgs } from 'util';
import type { RawRequest } from '../functions/receive/raw-request';
import type { createApp as CreateApp } from '../functions/app';
import type { nullSink as NullSink } from '../functions/support/logger';
import { firestoreRequest, pubsubRequest } from './sample-event';

const ROOT = path.resolve(__dirname, '..', '..');

const pubsub = pubsubRequest();
const firestore = firestoreRequest();

type App = ReturnType<typeof CreateApp>;

function appOf(root: string): App {
  // Each build's own modules, by path: two copies of the pipeline side by side.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createApp } = require(path.resolve(root, 'dist', 'functions', 'app.js')) as { createApp: typeof CreateApp };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nullSink } = require(path.resolve(root, 'dist', 'functions', 'support', 'logger.js')) as { nullSink: typeof NullSink };
  return createApp({ env: { ROUTES_FILE: path.resolve(root, 'bench', 'routes-null-log.yaml') }, sink: nullSink });
}

async function round(app: App, request: RawRequest, events: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < events; i++) {
    const handled = app.handle(request);
    if (handled instanceof Promise) await handled;
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / events;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      after: { type: 'string', default: ROOT },
      events: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '20' },
    },
  });
  if (!values.before) throw new Error('--before DIR is required (a built checkout)');
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  const apps = { before: appOf(values.before), after: appOf(values.after) };
  console.log(`pipeline A/B: ${rounds} interleaved rounds of ${events} events per build, node ${process.version}`);
  for (const [name, request] of [
    ['Eventarc messagePublished', pubsub],
    ['Firestore protobuf (DocumentEventData-complex)', firestore],
  ] as const) {
    const us = { before: [] as number[], after: [] as number[] };
    for (let i = 0; i < 2; i++) for (const k of ['before', 'after'] as const) await round(apps[k], request, events); // warm-up
    for (let i = 0; i < rounds; i++) {
      for (const k of i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) us[k].push(await round(apps[k], request, events));
    }
    const ratio = median(us.before.map((b, i) => us.after[i] / b));
    console.log(
      `${name}: CPU µs per event, before ${median(us.before).toFixed(2)}, after ${median(us.after).toFixed(2)}; after/before (median of per-round ratios) ${ratio.toFixed(3)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
