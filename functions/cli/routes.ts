/** `routes check FILE` and `routes explain FILE EVENT`: validate a routes file, and say which routes an event takes and why the others do not. */
import * as fs from 'fs';
import { builtInActions } from '../act/catalog';
import { parseDelivery } from '../parse/delivery';
import type { RawRequest } from '../receive/raw-request';
import { parseRoutesFile } from '../route/routes-file';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export function routesCheck(file: string, io: Io): number {
  try {
    const entries = parseRoutesFile(fs.readFileSync(file, 'utf8'), file, builtInActions);
    io.out(`${file}: ${entries.length} route(s) OK`);
    for (const e of entries) io.out(`  ${e.name}: ${e.action.name} when ${e.route.filter.describe()} (timeout ${e.route.timeoutMs / 1000} s)`);
    return 0;
  } catch (err) {
    io.err((err as Error).message);
    return 1;
  }
}

/**
 * An event file is either a request fixture (`{request: {method, path, headers, json|body}}`),
 * or a bare JSON body: a structured CloudEvent, a push body or a background event.
 */
export function readEventFile(file: string): RawRequest {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const r = json['request'] as
    { method?: string; path?: string; headers?: Record<string, string>; json?: unknown; body?: string; bodyBase64?: string } | undefined;
  if (r && typeof r === 'object') {
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    // bodyBase64: a body that is not text (a Firestore event's application/protobuf data).
    const body = r.bodyBase64 !== undefined ? Buffer.from(r.bodyBase64, 'base64') : Buffer.from(r.json !== undefined ? JSON.stringify(r.json) : (r.body ?? ''));
    return { method: r.method ?? 'POST', path: r.path ?? '/', headers, body };
  }
  const contentType = json['specversion'] !== undefined ? 'application/cloudevents+json' : 'application/json';
  return { method: 'POST', path: '/', headers: { 'content-type': contentType }, body: Buffer.from(JSON.stringify(json)) };
}

export function routesExplain(file: string, eventFile: string, io: Io): number {
  let entries;
  try {
    entries = parseRoutesFile(fs.readFileSync(file, 'utf8'), file, builtInActions);
  } catch (err) {
    io.err((err as Error).message);
    return 1;
  }
  let event;
  try {
    event = parseDelivery(readEventFile(eventFile));
  } catch (err) {
    io.err(`${eventFile}: ${(err as Error).message}`);
    return 1;
  }
  io.out(`event: ${event.kind} ${event.id ?? '(no id)'} (${event.type}) via ${event.delivery.shape}`);
  let matched = 0;
  for (const e of entries) {
    const verdict = e.route.filter.test(event);
    if (verdict.matched) matched++;
    const params = verdict.params ? `  params ${JSON.stringify(verdict.params)}` : '';
    io.out(verdict.matched ? `  MATCH  ${e.name} -> ${e.action.name}${params}` : `  no     ${e.name}: ${verdict.why}`);
  }
  io.out(matched === 0 ? 'no route matches: the event would be acknowledged (204) and logged as unmatched' : `${matched} route(s) would run`);
  return 0;
}
