/**
 * Issue 10 class 9: idempotency that holds. Each effect happens once, and never
 * twice at once, whatever Pub/Sub redelivers and whoever sends a delivery with a
 * chosen id:
 * - redeliveries of an event whose handler outlives its deadline (route or event
 *   deadline) get 409 until it has really stopped, on two instances sharing the
 *   Firestore emulator;
 * - a stale holder whose lease passed cannot complete, release or renew the lock
 *   of the instance that took it over;
 * - the same id from two sources is two events;
 * - the memory store stays within its bounds and says when it forgets a key.
 */
import { Firestore } from '@google-cloud/firestore';
import { createApp, type App } from '../../functions/app';
import { memorySink } from '../../functions/support/logger';
import { createFirestoreStore } from '../../functions/route/idempotency/firestore-store';
import type { IdempotencyStore, LockState } from '../../functions/route/idempotency/store';
import { startFirestoreEmulator, type FirestoreEmulator } from '../support/firestore-emulator';
import { cloudEventOf, newMeter, pushOf, slowAction, slowRoutesFile, type Meter } from '../support/idempotency-harness';

type Handled = Awaited<ReturnType<App['handle']>>;
const acked = (r: Handled) => r.answer.status === 200 || r.answer.status === 204;
const skipped = (r: Handled) => r.answer.status === 200 && (r.answer.body ?? '').includes('already done for this key');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const holderOf = (lock: LockState) => (lock.state === 'acquired' ? lock.holder : '');

/** Pub/Sub's part: deliver again after any non-2xx, alternating between instances; bounded in tries and in time. */
async function redeliverUntilAcked(apps: readonly App[], id: string, pauseMs: number, maxTries: number): Promise<number[]> {
  const statuses: number[] = [];
  const giveUpAt = Date.now() + 15_000;
  for (let i = 0; i < maxTries && Date.now() < giveUpAt; i++) {
    const handled = await apps[i % apps.length].handle(pushOf(id));
    statuses.push(handled.answer.status);
    if (acked(handled)) return statuses;
    await sleep(pauseMs);
  }
  throw new Error(`${id} never acknowledged: ${statuses.join(' ')}`);
}

let emulator: FirestoreEmulator | undefined;
let collections = 0;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  process.env['FIRESTORE_EMULATOR_HOST'] = emulator.host;
  // The first transaction on a fresh emulator takes seconds: not the tests' business.
  const warm = new Firestore({ projectId: 'test-project' });
  await warm.runTransaction(async (tx) => void (await tx.get(warm.collection('warm-up').doc('x'))));
  await warm.terminate();
}, 90000);
afterAll(async () => {
  delete process.env['FIRESTORE_EMULATOR_HOST'];
  await emulator?.stop();
});

describe('a handler that outlives its deadline keeps its lock until it stops (two instances on the Firestore emulator)', () => {
  function instances(meter: Meter, behaviour: Parameters<typeof slowAction>[1], env: Record<string, string>): App[] {
    const shared = {
      IDEMPOTENCY_STORE: 'firestore',
      IDEMPOTENCY_COLLECTION: `outlive-${++collections}`,
      GOOGLE_CLOUD_PROJECT: 'test-project',
      // A lease of 2.2 s past a 0.2 s deadline: a 4 s run holds its lock only if the heartbeat renews it. The margin
      // is kept well above what one store write takes on a loaded machine (up to about 1 s on a cold emulator), as a
      // deployment's must be: a lease shorter than the store's latency can pass before its holder hears it was taken.
      IDEMPOTENCY_LEASE_MARGIN_SECONDS: '2',
      ...env,
    };
    const action = slowAction(meter, behaviour);
    return [createApp({ env: shared, sink: memorySink(), actions: [action] }), createApp({ env: shared, sink: memorySink(), actions: [action] })];
  }

  const cases: [string, Record<string, string>][] = [
    ['the route deadline', { ROUTES_FILE: slowRoutesFile(0.2) }],
    // The event deadline also covers taking the lock: room for the emulator's transactions on two busy cores.
    ['the event deadline (EVENT_DEADLINE_SECONDS, before the route deadline)', { ROUTES_FILE: slowRoutesFile(1.5), EVENT_DEADLINE_SECONDS: '1' }],
  ];

  it.each(cases)(
    'past %s: 3 redelivery loops on 2 instances, one run at a time, run once when it succeeds late',
    async (_, env) => {
      const meter = newMeter();
      // 4 s: past the deadline and past the lease (deadline + 2 s), which only the heartbeat extends.
      const apps = instances(meter, { runMs: 4000, ignoreAbort: true }, env);
      const loops = await Promise.allSettled([0, 1, 2].map((i) => sleep(i * 30).then(() => redeliverUntilAcked(apps, 'slow-1', 100, 60))));
      expect(meter.maxConcurrent).toBe(1);
      expect(loops.map((l) => l.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(meter.started.get('|slow-1')).toBe(1);
      expect(meter.done.get('|slow-1')).toBe(1);
      // Meanwhile the redeliveries were told "in progress", not run.
      expect(loops.flatMap((l) => (l.status === 'fulfilled' ? l.value : [])).filter((s) => s === 409).length).toBeGreaterThan(0);
    },
    30000,
  );

  it('a late failure releases the lock only when the run has stopped: the redelivery then runs, one at a time', async () => {
    const meter = newMeter();
    const apps = instances(meter, { runMs: 1200, ignoreAbort: true, failFirst: 1 }, { ROUTES_FILE: slowRoutesFile(0.2) });
    const loops = await Promise.allSettled([0, 1, 2].map((i) => sleep(i * 30).then(() => redeliverUntilAcked(apps, 'slow-2', 50, 60))));
    expect(meter.maxConcurrent).toBe(1);
    expect(loops.map((l) => l.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const key = '|slow-2';
    expect([meter.started.get(key), meter.done.get(key)]).toEqual([2, 1]);
  }, 30000);
});

describe('a handler that never stops keeps its lock only up to IDEMPOTENCY_MAX_HOLD_SECONDS', () => {
  it('then its lock is let go, with an ERROR that says a redelivery may run it again', async () => {
    const meter = newMeter();
    const sink = memorySink();
    const env = { ROUTES_FILE: slowRoutesFile(0.1), IDEMPOTENCY_LEASE_MARGIN_SECONDS: '0.2', IDEMPOTENCY_MAX_HOLD_SECONDS: '0.5' };
    const app = createApp({ env, sink, actions: [slowAction(meter, { runMs: 3000, ignoreAbort: true })] });
    expect((await app.handle(pushOf('hung'))).answer.status).toBe(503);
    expect((await app.handle(pushOf('hung'))).answer.status).toBe(409);
    // Held 0.5 s, then the 0.3 s lease lapses.
    await sleep(1200);
    const errors = sink
      .entries()
      .filter((e) => e['severity'] === 'ERROR')
      .map((e) => String(e['message']));
    expect(errors.some((m) => m.includes('no longer renewed') && m.includes('may then run the route'))).toBe(true);
    const again = app.handle(pushOf('hung'));
    await sleep(50);
    expect(meter.started.get('|hung')).toBe(2);
    void again;
    await sleep(3200);
  }, 15000);
});

describe('a stale holder cannot settle the lock of the instance that took it over (two clients on one emulator collection)', () => {
  it('complete, release and renew of the stale holder fail and leave the new holder running', async () => {
    const db1 = new Firestore({ projectId: 'test-project' });
    const db2 = new Firestore({ projectId: 'test-project' });
    const collection = `stale-${++collections}`;
    const a: IdempotencyStore = createFirestoreStore({ collection, client: db1 });
    const b: IdempotencyStore = createFirestoreStore({ collection, client: db2 });
    try {
      const stale = await a.acquire('image-1', 200);
      expect(stale.state).toBe('acquired');
      await sleep(400); // A's lease passes (A paused, say); B takes over.
      const fresh = await b.acquire('image-1', 60_000);
      expect(fresh.state).toBe('acquired');
      expect(holderOf(fresh)).not.toBe(holderOf(stale));

      expect(await a.complete('image-1', holderOf(stale), 3600_000)).toBe(false);
      expect((await b.acquire('image-1', 60_000)).state).toBe('running');
      expect(await a.release('image-1', holderOf(stale))).toBe(false);
      expect((await a.acquire('image-1', 60_000)).state).toBe('running');
      expect(await a.renew('image-1', holderOf(stale), 60_000)).toBe(false);
      expect(await a.complete('image-1', 'forged-holder', 3600_000)).toBe(false);

      // The new holder's own run settles it.
      expect(await b.renew('image-1', holderOf(fresh), 60_000)).toBe(true);
      expect(await b.complete('image-1', holderOf(fresh), 3600_000)).toBe(true);
      expect((await a.acquire('image-1', 60_000)).state).toBe('done');
      // Done is final: the holder's token cannot release it either.
      expect(await b.release('image-1', holderOf(fresh))).toBe(false);
      expect((await a.acquire('image-1', 60_000)).state).toBe('done');
    } finally {
      await Promise.all([db1.terminate(), db2.terminate()]);
    }
  });
});

describe('the Firestore store does not make redeliveries wait on each other (two clients on one emulator collection)', () => {
  it('20 acquisitions of a free key at once: exactly one takes it, and racing costs no more than the same work apart', async () => {
    const clients = [new Firestore({ projectId: 'test-project' }), new Firestore({ projectId: 'test-project' })];
    const collection = `race-${++collections}`;
    const stores = clients.map((client) => createFirestoreStore({ collection, client }));
    try {
      await stores[0].acquire('warm', 1000); // the collection's first write is slow on a fresh emulator
      const acquireAll = (keyOf: (i: number) => string) =>
        Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const started = Date.now();
            const lock = await stores[i % 2].acquire(keyOf(i), 60_000);
            return { state: lock.state, ms: Date.now() - started };
          }),
        );
      const slowest = (timed: { ms: number }[]) => Math.max(...timed.map((t) => t.ms));
      for (const key of ['free-1', 'free-2', 'free-3']) {
        // The same 20 acquisitions at once on 20 different keys: what the emulator and this machine cost, without a race.
        const apart = slowest(await acquireAll((i) => `${key}-apart-${i}`));
        const timed = await acquireAll(() => key);
        expect(timed.filter((t) => t.state === 'acquired')).toHaveLength(1);
        expect(timed.filter((t) => t.state === 'running')).toHaveLength(19);
        // A transaction that loses a race waits a backoff of a second or more before trying again, and losing again
        // doubles it: the old store took about 4 s here against about 0.2 s apart on an idle machine. A conditional
        // write that loses reads again at once, so racing costs about what the same work apart costs.
        expect(slowest(timed)).toBeLessThan(2 * apart + 600);
      }
    } finally {
      await Promise.all(clients.map((c) => c.terminate()));
    }
  });

  it('a run that stops while its lease is being renewed is settled after the renewal, never beside it', async () => {
    const calls: string[] = [];
    const real = createFirestoreStore({ collection: `settle-${++collections}`, projectId: 'test-project' });
    // Renewals slowed to 400 ms, so the run's end (at 700 ms, renewals every ~230 ms) falls inside one.
    const store: IdempotencyStore = {
      acquire: real.acquire,
      renew: async (...args) => {
        calls.push('renew:start');
        await sleep(400);
        const held = await real.renew(...args);
        calls.push('renew:end');
        return held;
      },
      complete: async (...args) => {
        calls.push('complete:start');
        return real.complete(...args);
      },
      release: real.release,
    };
    const meter = newMeter();
    const env = { ROUTES_FILE: slowRoutesFile(0.2), IDEMPOTENCY_LEASE_MARGIN_SECONDS: '0.5' };
    const app = createApp({ env, sink: memorySink(), actions: [slowAction(meter, { runMs: 700, ignoreAbort: true })], idempotencyStore: store });
    expect((await app.handle(pushOf('settle'))).answer.status).toBe(503);
    await sleep(1500);
    expect(meter.done.get('|settle')).toBe(1);
    const completeAt = calls.indexOf('complete:start');
    expect(completeAt).toBeGreaterThan(0);
    // Every renewal that started before the completion had ended before it.
    const before = calls.slice(0, completeAt);
    expect(before.filter((c) => c === 'renew:start').length).toBe(before.filter((c) => c === 'renew:end').length);
    expect((await app.handle(pushOf('settle'))).answer.body).toContain('already done for this key');
  }, 15000);
});

describe('keys are source plus id', () => {
  function apps(meter: Meter): App[] {
    const actions = [slowAction(meter, { runMs: 1 })];
    const memory = createApp({ env: { ROUTES_FILE: slowRoutesFile(5) }, sink: memorySink(), actions });
    const env = {
      ROUTES_FILE: slowRoutesFile(5),
      IDEMPOTENCY_STORE: 'firestore',
      IDEMPOTENCY_COLLECTION: `sources-${++collections}`,
      GOOGLE_CLOUD_PROJECT: 'test-project',
    };
    return [memory, createApp({ env, sink: memorySink(), actions })];
  }

  it.each([
    ['memory', 0],
    ['Firestore', 1],
  ] as const)('the same id from two sources runs once each (%s store)', async (_, which) => {
    const meter = newMeter();
    const app = apps(meter)[which];
    const victim = '//storage.googleapis.com/projects/_/buckets/releases';
    const other = '//example.com/anyone-can-publish';
    expect((await app.handle(cloudEventOf('42', other))).answer.status).toBe(204);
    expect((await app.handle(cloudEventOf('42', victim))).answer.status).toBe(204);
    expect(skipped(await app.handle(cloudEventOf('42', victim)))).toBe(true);
    expect(skipped(await app.handle(cloudEventOf('42', other)))).toBe(true);
    expect([meter.done.get(`${other}|42`), meter.done.get(`${victim}|42`)]).toEqual([1, 1]);
  });
});

describe('the memory store is bounded and says when it forgets', () => {
  it('many keys: never more than IDEMPOTENCY_MEMORY_MAX_KEYS remembered; a forgotten done key runs again, with a WARNING', async () => {
    const meter = newMeter();
    const sink = memorySink();
    const app = createApp({ env: { ROUTES_FILE: slowRoutesFile(5), IDEMPOTENCY_MEMORY_MAX_KEYS: '100' }, sink, actions: [slowAction(meter, { runMs: 0 })] });
    for (let i = 0; i < 300; i++) expect((await app.handle(pushOf(`k${i}`))).answer.status).toBe(204);
    // The newest 100 are remembered, walking back from the newest (an acquire of a forgotten key stores it again).
    let remembered = 0;
    for (let i = 299; i >= 0 && skipped(await app.handle(pushOf(`k${i}`))); i--) remembered++;
    expect(remembered).toBe(100);
    expect(meter.done.get('|k199')).toBe(2);
    const warnings = sink
      .entries()
      .filter((e) => e['severity'] === 'WARNING')
      .map((e) => String(e['message']));
    expect(warnings.some((m) => m.includes('forgot') && m.includes('a redelivery of a forgotten key runs its route again'))).toBe(true);
  });

  it('hostile long ids: what is remembered stays within IDEMPOTENCY_MEMORY_MAX_BYTES', async () => {
    const maxBytes = 200_000;
    const app = createApp({
      env: { ROUTES_FILE: slowRoutesFile(5), IDEMPOTENCY_MEMORY_MAX_BYTES: String(maxBytes) },
      sink: memorySink(),
      actions: [slowAction(newMeter(), { runMs: 0 })],
    });
    const idOf = (i: number) => `${'x'.repeat(380)}${String(i).padStart(20, '0')}`;
    for (let i = 0; i < 2000; i++) expect((await app.handle(pushOf(idOf(i)))).answer.status).toBe(204);
    let remembered = 0;
    for (let i = 1999; i >= 0 && skipped(await app.handle(pushOf(idOf(i)))); i--) remembered++;
    // Each remembered key holds at least its 400 characters (800 bytes as UTF-16).
    expect(remembered * 800).toBeLessThanOrEqual(maxBytes);
    expect(remembered).toBeGreaterThan(100);
  });
});
