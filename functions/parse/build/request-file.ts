/** Reads a delivery from a file: for `emit --fixture`, `routes explain` and eventarc-router/testing's `fromFixture`. */
import * as fs from 'fs';
import type { RawRequest } from '../../receive/raw-request';

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
