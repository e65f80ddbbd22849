/**
 * CPU per Firestore document event decode, in process: firestoreDocumentEventOf
 * over Google's two DocumentEventData examples as application/protobuf (the goal:
 * under 20 µs) and, for the ratio, as application/json. Also the one-off cost of
 * the first protobuf event, which loads protobufjs and the schema (wall time).
 * Usage: npm run bench:firestore-decode [-- --events 100000 --rounds 5]
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { firestoreDocumentEventOf } from '../functions/parse/payloads/firestore-document';
import type { PayloadInput } from '../functions/parse/payloads/payload-input';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = 'google-cloudevents/examples/binary/firestore';

function inputOf(variant: string, form: 'protobuf' | 'json'): PayloadInput {
  const file =
    form === 'json'
      ? path.join(ROOT, 'fixtures', 'real', EXAMPLES, `DocumentEventData-${variant}.json`)
      : path.join(ROOT, 'fixtures', 'protobuf', EXAMPLES, `DocumentEventData-${variant}.binpb`);
  return {
    type: 'google.cloud.firestore.document.v1.updated',
    source: '//firestore.googleapis.com/projects/project-id/databases/(default)',
    subject: 'documents/gcf-test/2Vm2mI1d0wIaK2Waj5to',
    dataContentType: form === 'json' ? 'application/json' : 'application/protobuf',
    data: fs.readFileSync(file),
    extensions: {},
  };
}

function measure(input: PayloadInput, events: number, rounds: number): number[] {
  const perEvent: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < events; i++) sink += firestoreDocumentEventOf(input).updateMask.length;
    const used = process.cpuUsage(before);
    perEvent.push((used.user + used.system) / events);
  }
  if (sink < 0) console.log(sink); // keeps the loop's result alive
  return perEvent;
}

function main() {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '5' } } });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const first = inputOf('complex', 'protobuf');
  const start = process.hrtime.bigint();
  firestoreDocumentEventOf(first);
  const firstMs = Number(process.hrtime.bigint() - start) / 1e6;

  console.log(`Firestore decode benchmark: ${rounds} rounds of ${events} events, node ${process.version}`);
  console.log(`first protobuf event (loads protobufjs and the schema): ${firstMs.toFixed(1)} ms wall`);
  for (const variant of ['simple', 'complex']) {
    for (const form of ['protobuf', 'json'] as const) {
      const input = inputOf(variant, form);
      const xs = measure(input, events, rounds);
      console.log(
        `CPU µs per event, ${variant} (${input.data.length} bytes) as ${form}: ${median(xs).toFixed(2)} (rounds: ${xs.map((x) => x.toFixed(2)).join(' ')})`,
      );
    }
  }
}

main();
