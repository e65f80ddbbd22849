/**
 * Table-driven: every request in fixtures/requests (one or more per delivery shape
 * A to H, plus bad and non-deliveries) goes through the whole pipeline in process;
 * the status, the typed event and the log line are what a user would check.
 */
import { createApp } from '../../functions/app';
import { memorySink } from '../../functions/support/logger';
import { loadRequestFixtures, plain, rawOf } from '../support/fixtures';

const fixtures = loadRequestFixtures();

describe('every delivery shape, from fixtures', () => {
  it('covers shapes A to H', () => {
    const shapes = new Set(fixtures.map((f) => f.name[0]));
    for (const s of 'ABCDEFGH') expect(shapes).toContain(s);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const sink = memorySink();
    const app = createApp({ env: {}, sink });
    sink.lines.length = 0; // drop the start-up routes table
    const { outcome, answer } = await app.handle(rawOf(fixture));

    expect(answer.status).toBe(fixture.expect.status);
    expect(answer.status).not.toBe(202);

    if (fixture.expect.event) {
      expect(outcome).not.toBe('health');
      const event = (outcome as { event?: Parameters<typeof plain>[0] }).event;
      expect(event).toBeDefined();
      expect(plain(event!)).toMatchObject(fixture.expect.event);
      // The default route logs each event exactly once, on one line, naming it; then its route's outcome line.
      const all = sink.entries();
      const entries = all.filter((e) => e['route'] === undefined);
      expect(entries).toHaveLength(1);
      expect(all.filter((e) => e['route'] !== undefined)).toMatchObject([{ route: 'default-log', outcome: 'handled' }]);
      expect(entries[0]['logging.googleapis.com/labels']).toMatchObject({ eventType: event!.type });
      if (event!.kind === 'storage.object') {
        expect(entries[0]['message']).toContain(`gs://${event!.object.bucket}/${event!.object.name}`);
      }
    }
    if (fixture.expect.reason) {
      const body = JSON.parse(answer.body!) as { acknowledged: boolean; reason: string };
      expect(body.acknowledged).toBe(true);
      expect(body.reason).toContain(fixture.expect.reason);
      // Nothing lost: the raw request is in an ERROR entry.
      const error = sink.entries().find((e) => e['severity'] === 'ERROR');
      expect(error).toBeDefined();
      const request = error!['request'] as { body?: string; bodyBase64?: string };
      const raw = rawOf(fixture).body;
      expect(request.body !== undefined ? Buffer.from(request.body) : Buffer.from(request.bodyBase64!, 'base64')).toEqual(raw);
    }
  });
});
