/** A counting action and push deliveries for the idempotency tests: what a user checks is how often the effect ran. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { RetryableError } from '../../functions/act/errors';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import type { RawRequest } from '../../functions/parse/event';

export interface Effects {
  /** event id -> how many times the handler ran to completion. */
  readonly done: Map<string, number>;
  /** event id -> how many times it started. */
  readonly started: Map<string, number>;
  /** Makes the next runs of this id wait for `release` or fail. */
  plan: Map<string, { gate?: Promise<void>; fail?: number }>;
}

export function countingAction(effects: Effects): ActionDefinition<unknown> {
  return defineAction({
    name: 'count',
    options: z.object({}).passthrough(),
    create: () => async (event) => {
      const id = event.id!;
      effects.started.set(id, (effects.started.get(id) ?? 0) + 1);
      const plan = effects.plan.get(id);
      if (plan?.gate) await plan.gate;
      if (plan?.fail && plan.fail > 0) {
        plan.fail--;
        throw new RetryableError('transient failure (planned)');
      }
      effects.done.set(id, (effects.done.get(id) ?? 0) + 1);
    },
  }) as ActionDefinition<unknown>;
}

export function newEffects(): Effects {
  return { done: new Map(), started: new Map(), plan: new Map() };
}

export function routesFile(idempotent: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routes-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, `routes:\n  - name: count-once\n    action: count\n    idempotent: ${idempotent}\n`);
  return file;
}

export function pushOf(id: string, attributes: Record<string, string> = {}): RawRequest {
  const body = JSON.stringify({
    subscription: 'projects/test-project/subscriptions/s',
    message: { data: Buffer.from('{}').toString('base64'), messageId: id, message_id: id, publishTime: '2026-11-22T14:13:05.699Z', attributes },
  });
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}

export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
