/**
 * Idempotent routes: a second delivery while the first runs gets 409, one after
 * success is acknowledged without running, one after a failure runs again. The
 * same behaviour with the in-memory store (one instance) and the Firestore store
 * on the real Firestore emulator (two app instances sharing it).
 */
import { createApp, type App } from '../../../functions/app';
import { memorySink } from '../../../functions/support/logger';
import type { IdempotencyStore } from '../../../functions/route/idempotency/store';
import { startFirestoreEmulator, type FirestoreEmulator } from '../../support/firestore-emulator';
import { countingAction, gate, newEffects, pushOf, routesFile, type Effects } from '../../support/idempotency-harness';

type Instances = (effects: Effects, idempotent?: string) => [App, App];
type Handled = Awaited<ReturnType<App['handle']>>;

/** Acknowledged (200 and 204 both are); a route skipped as already done says so in a 200 body. */
const acked = (r: Handled) => r.answer.status === 200 || r.answer.status === 204;
const skipped = (r: Handled) => r.answer.status === 200 && (r.answer.body ?? '').includes('already done for this key');

function behaviour(name: string, instances: () => Instances) {
  describe(name, () => {
    it('second delivery while the first runs: 409; after success: acknowledged without running', async () => {
      const effects = newEffects();
      const [a, b] = instances()(effects);
      const g = gate();
      effects.plan.set('m1', { gate: g.promise });
      const first = a.handle(pushOf('m1'));
      while (!effects.started.get('m1')) await new Promise((r) => setTimeout(r, 10));
      const second = await b.handle(pushOf('m1'));
      expect(second.answer.status).toBe(409);
      expect(second.answer.body).toContain('in progress');
      g.open();
      expect((await first).answer.status).toBe(204);
      const third = await b.handle(pushOf('m1'));
      expect(skipped(third)).toBe(true);
      expect(effects.done.get('m1')).toBe(1);
      expect(effects.started.get('m1')).toBe(1);
    });

    it('after a failure the redelivery runs again, then never more', async () => {
      const effects = newEffects();
      const [a, b] = instances()(effects);
      effects.plan.set('m2', { fail: 1 });
      expect((await a.handle(pushOf('m2'))).answer.status).toBe(503);
      expect((await b.handle(pushOf('m2'))).answer.status).toBe(204);
      expect(skipped(await a.handle(pushOf('m2')))).toBe(true);
      expect(effects.started.get('m2')).toBe(2);
      expect(effects.done.get('m2')).toBe(1);
    });

    it('a key expression: two event ids with the same key run once', async () => {
      const effects = newEffects();
      const [a, b] = instances()(effects, '{ key: "{message.attributes.objectId}" }');
      expect((await a.handle(pushOf('m3', { objectId: 'obj-1' }))).answer.status).toBe(204);
      expect(skipped(await b.handle(pushOf('m4', { objectId: 'obj-1' })))).toBe(true);
      expect((await b.handle(pushOf('m5', { objectId: 'obj-2' }))).answer.status).toBe(204);
      expect([effects.done.get('m3'), effects.done.get('m4'), effects.done.get('m5')]).toEqual([1, undefined, 1]);
      // A key field the event lacks can never be computed: acknowledged as rejected, not retried forever.
      const missing = await a.handle(pushOf('m6'));
      expect(missing.answer.status).toBe(200);
      expect(JSON.parse(missing.answer.body!).reason).toContain('objectId');
    });

    it('many deliveries at once, 5 copies of each of 20 events on both instances: each effect exactly once', async () => {
      const effects = newEffects();
      const [a, b] = instances()(effects);
      const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
      // Keep asking until every event is acknowledged, as Pub/Sub would.
      const deliver = async (app: App, id: string) => {
        for (let tries = 0; tries < 50; tries++) {
          if (acked(await app.handle(pushOf(id)))) return;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`${id} never acknowledged`);
      };
      await Promise.all(ids.flatMap((id) => [a, b, a, b, a].map((app) => deliver(app, id))));
      for (const id of ids) expect(effects.done.get(id)).toBe(1);
    });
  });
}

behaviour('memory store (one instance serving concurrent requests)', () => (effects, idempotent = 'true') => {
  const app = createApp({ env: { ROUTES_FILE: routesFile(idempotent) }, sink: memorySink(), actions: [countingAction(effects)] });
  return [app, app];
});

let emulator: FirestoreEmulator | undefined;
let collection = 0;
describe('Firestore store on the emulator', () => {
  beforeAll(async () => {
    emulator = await startFirestoreEmulator();
    process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  }, 90000);
  afterAll(async () => {
    delete process.env['FIRESTORE_EMULATOR_HOST'];
    await emulator?.stop();
  });

  behaviour('two instances sharing Firestore', () => (effects, idempotent = 'true') => {
    const env = {
      ROUTES_FILE: routesFile(idempotent),
      IDEMPOTENCY_STORE: 'firestore',
      IDEMPOTENCY_COLLECTION: `idem-${++collection}`,
      GOOGLE_CLOUD_PROJECT: 'test-project',
    };
    const make = () => createApp({ env, sink: memorySink(), actions: [countingAction(effects)] });
    return [make(), make()];
  });

  it('a done key carries the TTL field expireAt, about IDEMPOTENCY_TTL_SECONDS ahead', async () => {
    const { createFirestoreStore } = await import('../../../functions/route/idempotency/firestore-store');
    const { Firestore } = await import('@google-cloud/firestore');
    const db = new Firestore({ projectId: 'test-project' });
    const store: IdempotencyStore = createFirestoreStore({ collection: 'ttl-check', client: db });
    const taken = await store.acquire('k', 10_000);
    expect(taken.state).toBe('acquired');
    expect((await store.acquire('k', 10_000)).state).toBe('running');
    expect(await store.complete('k', taken.state === 'acquired' ? taken.holder : '', 3600_000)).toBe(true);
    expect((await store.acquire('k', 10_000)).state).toBe('done');
    const docs = (await db.collection('ttl-check').get()).docs.map((d) => d.data());
    expect(docs).toHaveLength(1);
    const expireAt = (docs[0]['expireAt'] as { toMillis(): number }).toMillis();
    expect(Math.abs(expireAt - (Date.now() + 3600_000))).toBeLessThan(60_000);
    // A lease that has passed (an instance died mid-run) is taken over.
    expect((await store.acquire('short', 1)).state).toBe('acquired');
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.acquire('short', 10_000)).state).toBe('acquired');
    await db.terminate();
  });
});
