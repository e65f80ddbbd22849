// A user's test of their route with eventarc-router/testing, in process (printed for the suite that runs it).
import { deliveries, runDelivery, type DeliveryResult } from 'eventarc-router/testing';
import { router } from './index';

const facts = (r: DeliveryResult) => ({
  outcome: r.outcome,
  status: r.status,
  acknowledged: r.acknowledged,
  routes: r.routes,
  reason: r.reason,
  logs: r.logs.map((l) => l['message']),
});

async function main(): Promise<void> {
  const release = await runDelivery(router, deliveries.storageObject({ bucket: 'releases', name: 'v/1.2.0/app.tgz', size: 42 }));
  const empty = await runDelivery(router, deliveries.storageObject({ bucket: 'releases', name: 'v/1.2.0/empty.tgz', size: 0 }, 'pubsub-push'));
  const other = await runDelivery(router, deliveries.pubsubMessage({ data: 'not for us' }));
  process.stdout.write(JSON.stringify({ release: facts(release), empty: facts(empty), other: facts(other) }));
}

void main();
