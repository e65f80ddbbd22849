/** `emit SHAPE --url URL ...`: send one delivery of shape A to H, built from flags or a fixture file. */
import { parseArgs } from 'util';
import type { StorageChange } from '../parse/event';
import type { RawRequest } from '../receive/raw-request';
import type { Io } from './routes';
import { readEventFile } from '../parse/build/request-file';
import { buildDelivery, type ShapeLetter } from '../parse/build/shapes';
import { buildDocumentEvent, DOCUMENT_CHANGES, type DocumentChange } from '../parse/build/firestore-document';

export const EMIT_USAGE = `usage: eventarc-router emit SHAPE --url URL [event flags]
       eventarc-router emit --fixture FILE --url URL
SHAPE: A Eventarc Pub/Sub (binary)   B Eventarc Storage (binary)   C structured CloudEvent
       D Pub/Sub push                E Pub/Sub push, noWrapper     F Storage notification via push
       G Artifact Registry notification via push                   H 1st-gen background event
event flags: --id --time --project --topic --subscription --data TEXT --attr K=V (repeatable)
             --bucket --name --generation --size --content-type --change finalized|deleted|archived|metadataUpdated
             --action INSERT|DELETE --digest REF@sha256:.. --tag REF:TAG
             --header K:V (repeatable, e.g. Authorization)
Firestore (shape B): --document users/alice/orders/o1 --fields JSON [--old-fields JSON] [--database D]
             [--change created|updated|deleted|written]   (data as application/json)`;

export async function send(url: string, raw: RawRequest, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const target = new URL(raw.path, url);
  const res = await fetch(target, { method: raw.method, headers: { ...raw.headers, ...extraHeaders }, body: raw.method === 'GET' ? undefined : raw.body });
  return { status: res.status, body: await res.text() };
}

function pairs(values: string[] | undefined, sep: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf(sep);
    if (i <= 0) throw new Error(`${flag} expects K${sep}V, got "${v}"`);
    out[v.slice(0, i).trim()] = v.slice(i + 1).trim();
  }
  return out;
}

function jsonObject(text: string, flag: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${flag} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${flag} must be a JSON object of fields`);
  return v as Record<string, unknown>;
}

export async function emitCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      fixture: { type: 'string' },
      id: { type: 'string' },
      time: { type: 'string' },
      project: { type: 'string' },
      topic: { type: 'string' },
      subscription: { type: 'string' },
      data: { type: 'string' },
      attr: { type: 'string', multiple: true },
      bucket: { type: 'string' },
      name: { type: 'string' },
      generation: { type: 'string' },
      size: { type: 'string' },
      'content-type': { type: 'string' },
      change: { type: 'string' },
      action: { type: 'string' },
      digest: { type: 'string' },
      tag: { type: 'string' },
      header: { type: 'string', multiple: true },
      help: { type: 'boolean' },
      document: { type: 'string' },
      fields: { type: 'string' },
      'old-fields': { type: 'string' },
      database: { type: 'string' },
    },
  });
  if (values.help || !values.url || (!values.fixture && positionals.length !== 1)) {
    io.err(EMIT_USAGE);
    return values.help ? 0 : 2;
  }
  let raw: RawRequest;
  if (values.fixture) {
    raw = readEventFile(values.fixture);
  } else if (values.document !== undefined) {
    if (positionals[0].toUpperCase() !== 'B') throw new Error('--document builds an Eventarc Firestore event: shape B');
    const change = (values.change ?? 'written') as DocumentChange;
    if (!DOCUMENT_CHANGES.includes(change)) throw new Error(`--change: a document is ${DOCUMENT_CHANGES.join(', ')}, not "${change}"`);
    raw = buildDocumentEvent({
      id: values.id ?? String(Date.now()),
      time: values.time ?? new Date().toISOString(),
      project: values.project ?? 'local-project',
      database: values.database ?? '(default)',
      document: values.document,
      change,
      ...(values.fields !== undefined && { fields: jsonObject(values.fields, '--fields') }),
      ...(values['old-fields'] !== undefined && { oldFields: jsonObject(values['old-fields'], '--old-fields') }),
    });
  } else {
    const shape = positionals[0].toUpperCase();
    if (!/^[A-H]$/.test(shape)) throw new Error(`unknown shape "${positionals[0]}" (A to H)`);
    const change = values.change as StorageChange | undefined;
    if (change && !['finalized', 'deleted', 'archived', 'metadataUpdated'].includes(change)) throw new Error(`--change: unknown change "${change}"`);
    raw = buildDelivery(shape as ShapeLetter, {
      id: values.id ?? String(Date.now()),
      time: values.time ?? new Date().toISOString(),
      project: values.project ?? 'local-project',
      topic: values.topic ?? (shape === 'G' ? 'gcr' : 'events'),
      subscription: values.subscription ?? 'local-push',
      ...(values.data !== undefined && { data: values.data }),
      attributes: pairs(values.attr, '=', '--attr'),
      ...(values.bucket !== undefined && { bucket: values.bucket }),
      ...(values.name !== undefined && { name: values.name }),
      ...(values.generation !== undefined && { generation: values.generation }),
      ...(values.size !== undefined && { size: values.size }),
      ...(values['content-type'] !== undefined && { contentType: values['content-type'] }),
      ...(change !== undefined && { change }),
      ...(values.action !== undefined && { action: values.action.toUpperCase() as 'INSERT' | 'DELETE' }),
      ...(values.digest !== undefined && { digest: values.digest }),
      ...(values.tag !== undefined && { tag: values.tag }),
    });
  }
  const { status, body } = await send(values.url, raw, pairs(values.header, ':', '--header'));
  io.out(`${status}${body ? ` ${body.trim()}` : ''}`);
  return status >= 200 && status < 300 ? 0 : 1;
}
