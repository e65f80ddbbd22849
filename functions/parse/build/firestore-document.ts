/**
 * A Firestore document event as Eventarc delivers it in binary mode with
 * `--event-data-content-type=application/json`: `ce-*` headers (with the
 * `database` and `document` extensions) and a DocumentEventData
 * body, its fields in Firestore's Value JSON (`{"integerValue": "12"}`). Built
 * from plain JSON (`--fields '{"total": 12}'`), for `emit` and eventarc-router/testing: encoding, never decoding.
 */
import type { RawRequest } from '../../receive/raw-request';

export type DocumentChange = 'created' | 'updated' | 'deleted' | 'written';
export const DOCUMENT_CHANGES: readonly DocumentChange[] = ['created', 'updated', 'deleted', 'written'];

export interface DocumentEventSpec {
  readonly id: string;
  readonly time: string;
  readonly project: string;
  readonly database: string;
  /** Relative to the database's documents: `users/alice/orders/o1`. */
  readonly document: string;
  readonly change: DocumentChange;
  /** The document after the change (absent for `deleted`). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The document before it (only for `updated`, `deleted` and `written`). */
  readonly oldFields?: Readonly<Record<string, unknown>>;
}

type FirestoreValue = Record<string, unknown>;

/** Plain JSON as Firestore's Value JSON: whole numbers are integers (as strings, int64), others doubles. */
export function firestoreValue(v: unknown): FirestoreValue {
  if (v === null) return { nullValue: null };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { integerValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(firestoreValue) } };
  if (typeof v === 'object') return { mapValue: { fields: firestoreFields(v as Record<string, unknown>) } };
  throw new Error(`a document field cannot hold ${typeof v}`);
}

const firestoreFields = (fields: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, firestoreValue(v)]));

export function buildDocumentEvent(e: DocumentEventSpec): RawRequest {
  const document = e.document.replace(/^\/+/, '');
  if (document === '' || document.split('/').length % 2 !== 0 || document.split('/').some((s) => s === '')) {
    throw new Error(`--document "${e.document}" is not a document path (collection/id pairs: users/alice, users/alice/orders/o1)`);
  }
  if (e.change === 'deleted' && e.fields) throw new Error('a deleted document has no --fields (give --old-fields)');
  if (e.change === 'created' && e.oldFields) throw new Error('a created document has no --old-fields');
  const database = `projects/${e.project}/databases/${e.database}`;
  const snapshot = (fields: Readonly<Record<string, unknown>>) => ({
    name: `${database}/documents/${document}`,
    fields: firestoreFields(fields),
    createTime: e.time,
    updateTime: e.time,
  });
  const after = e.change === 'deleted' ? undefined : snapshot(e.fields ?? {});
  const before = e.oldFields ? snapshot(e.oldFields) : undefined;
  const changed =
    after && before ? Object.keys({ ...e.fields, ...e.oldFields }).filter((k) => JSON.stringify(e.fields?.[k]) !== JSON.stringify(e.oldFields?.[k])) : [];
  const data = {
    ...(after && { value: after }),
    ...(before && { oldValue: before }),
    ...(changed.length > 0 && { updateMask: { fieldPaths: changed } }),
  };
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': e.id,
      'ce-type': `google.cloud.firestore.document.v1.${e.change}`,
      'ce-source': `//firestore.googleapis.com/${database}`,
      'ce-subject': `documents/${document}`,
      'ce-time': e.time,
      'ce-dataschema': 'https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto',
      'ce-database': e.database,
      'ce-document': document,
    },
    body: Buffer.from(JSON.stringify(data)),
  };
}
