/** `routes check FILE` and `routes explain FILE EVENT`: validate a routes file, and say which routes an event takes and why the others do not. */
import * as fs from 'fs';
import { builtInActions } from '../act/catalog';
import { parseDelivery } from '../parse/delivery';
import { parseRoutesFile } from '../route/routes-file';
import { readEventFile } from '../parse/build/request-file';

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
