/** Loads the request fixtures in fixtures/requests and turns them into RawRequests. */
import * as fs from 'fs';
import * as path from 'path';
import type { RouterEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures');

export interface RequestFixture {
  readonly name: string;
  readonly description: string;
  readonly request: { method: string; path: string; headers: Record<string, string>; body?: string; bodyBase64?: string; json?: unknown };
  readonly expect: { status: number; reason?: string; event?: Record<string, unknown> };
}

export function loadRequestFixtures(): RequestFixture[] {
  const dir = path.join(FIXTURES, 'requests');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Omit<RequestFixture, 'name'>) }));
}

export function bodyOf(fixture: RequestFixture): Buffer {
  const r = fixture.request;
  if (r.bodyBase64 !== undefined) return Buffer.from(r.bodyBase64, 'base64');
  return Buffer.from(r.json !== undefined ? JSON.stringify(r.json) : (r.body ?? ''), 'utf8');
}

export function rawOf(fixture: RequestFixture): RawRequest {
  const r = fixture.request;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  return { method: r.method, path: r.path, headers, body: bodyOf(fixture) };
}

export function readReal<T = unknown>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'real', ...parts), 'utf8')) as T;
}

/** A plain JSON view of an event for comparisons: bigint as decimal text, the data as text. */
export function plain(event: RouterEvent): Record<string, unknown> {
  const json = JSON.parse(
    JSON.stringify(event, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return Buffer.from((v as { data: number[] }).data).toString('base64');
      return v;
    }),
  ) as Record<string, unknown>;
  if (event.kind === 'pubsub.message' || event.kind === 'cloudevent') json['text'] = event.text();
  return json;
}
