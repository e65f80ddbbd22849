/** A counting action and push deliveries for the idempotency tests: what a user checks is how often the effect ran. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { RetryableError } from '../../functions/act/errors';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import type { RawRequest } from '../../functions/receive/raw-request';

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
  });
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

/** How often a handler ran, and how many ran at once: what "each effect once" is checked by. */
export interface Meter {
  /** Runs in progress now, and the most ever at once. */
  current: number;
  maxConcurrent: number;
  /** "source|id" -> runs started / runs that finished with success. */
  readonly started: Map<string, number>;
  readonly done: Map<string, number>;
}

export function newMeter(): Meter {
  return { current: 0, maxConcurrent: 0, started: new Map(), done: new Map() };
}

/**
 * An action that takes `runMs` per run, as a slow copy would; `ignoreAbort` makes it
 * go on past its abort (a handler that does not listen to its signal), and `failFirst`
 * makes its first `failFirst` runs fail at their end.
 */
export function slowAction(meter: Meter, behaviour: { runMs: number; ignoreAbort?: boolean; failFirst?: number }): ActionDefinition<unknown> {
  let failures = behaviour.failFirst ?? 0;
  return defineAction({
    name: 'slow',
    options: z.object({}).passthrough(),
    create: () => (event, ctx) => {
      const key = `${event.source ?? ''}|${event.id}`;
      meter.started.set(key, (meter.started.get(key) ?? 0) + 1);
      if (behaviour.runMs === 0) {
        // Synchronous, as the log action is: the store's cost, not a timer's, per event.
        meter.done.set(key, (meter.done.get(key) ?? 0) + 1);
        return;
      }
      return run(key, ctx.signal);
    },
  });

  async function run(key: string, signal: AbortSignal): Promise<void> {
    meter.maxConcurrent = Math.max(meter.maxConcurrent, ++meter.current);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, behaviour.runMs);
        if (!behaviour.ignoreAbort) signal.addEventListener('abort', () => (clearTimeout(timer), reject(new RetryableError('aborted'))), { once: true });
      });
      if (failures > 0) {
        failures--;
        throw new RetryableError('transient failure (planned)');
      }
      meter.done.set(key, (meter.done.get(key) ?? 0) + 1);
    } finally {
      meter.current--;
    }
  }
}

export function slowRoutesFile(timeoutSeconds: number, idempotent = 'true'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routes-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, `routes:\n  - name: slow-once\n    action: slow\n    timeoutSeconds: ${timeoutSeconds}\n    idempotent: ${idempotent}\n`);
  return file;
}

/** A binary-mode CloudEvent, as Eventarc delivers it. */
export function cloudEventOf(id: string, source: string): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': source, 'ce-type': 'com.example.object.copied' },
    body: Buffer.from('{}'),
  };
}
