/**
 * Firestore document events (`google.cloud.firestore.document.v1.*`, with or
 * without `.withAuthContext`), their data as `application/json` or
 * `application/protobuf`, and the 1st-gen `providers/cloud.firestore` names for
 * them. The document is named by Eventarc's attributes first (what its trigger
 * filtered on), then the subject, then the data.
 */
import { PayloadError } from '../errors';
import { isJsonMediaType, parseJson } from './bytes';
import { extensionOf, type PayloadInput } from './payload-input';
import { mediaType } from '../../support/media-type';
import { SHAPE, eventDataOfJson, parseDocumentName, type FirestoreDocument, type FirestoreEventData } from './firestore-value';

export type { FirestoreDocument, FirestoreFields, FirestoreGeoPoint, FirestoreValue } from './firestore-value';

export type FirestoreChange = 'created' | 'updated' | 'deleted' | 'written';

/** What a Firestore document event says; the envelope adds id, type, source, time and the delivery. */
export interface FirestoreDocumentChange {
  readonly kind: 'firestore.document';
  readonly change: FirestoreChange;
  readonly project?: string;
  readonly location?: string;
  /** e.g. `(default)` */
  readonly database: string;
  /** Datastore-mode namespace, when the event names one. */
  readonly namespace?: string;
  /** The path below `documents/`, e.g. `users/alice/orders/o1`. */
  readonly document: string;
  /** The document after the change (absent for a deletion). */
  readonly value?: FirestoreDocument;
  /** The document before the change (absent for a creation). */
  readonly oldValue?: FirestoreDocument;
  /** The changed field paths of an update (empty otherwise). */
  readonly updateMask: readonly string[];
  /** Who made the change, for `.withAuthContext` types: `authtype` and `authid`. */
  readonly auth?: { readonly type: string; readonly id?: string };
}

const TYPE_PREFIX = 'google.cloud.firestore.document.v1.';
const AUTH_SUFFIX = '.withAuthContext';
const CHANGES: readonly FirestoreChange[] = ['created', 'updated', 'deleted', 'written'];

// A Map, not an object literal: the type is the sender's string, and `constructor` must find nothing.
type TypeFacts = { readonly change: FirestoreChange; readonly withAuthContext: boolean };
const TYPES: ReadonlyMap<string, TypeFacts> = new Map(
  CHANGES.flatMap((change): [string, TypeFacts][] => [
    [`${TYPE_PREFIX}${change}`, { change, withAuthContext: false }],
    [`${TYPE_PREFIX}${change}${AUTH_SUFFIX}`, { change, withAuthContext: true }],
  ]),
);

const BACKGROUND_CHANGES: ReadonlyMap<string, FirestoreChange> = new Map([
  ['providers/cloud.firestore/eventTypes/document.create', 'created'],
  ['providers/cloud.firestore/eventTypes/document.update', 'updated'],
  ['providers/cloud.firestore/eventTypes/document.delete', 'deleted'],
  ['providers/cloud.firestore/eventTypes/document.write', 'written'],
]);

export const isFirestoreDocumentType = (type: string): boolean => TYPES.has(type);
export const FIRESTORE_DOCUMENT_TYPES: readonly string[] = [...TYPES.keys()];

/**
 * The CloudEvent a 1st-gen Firestore background event is (Functions Framework's
 * mapping, fixed by its conformance pairs): undefined when the eventType is no
 * Firestore one. The data is the same DocumentEventData JSON.
 */
export function firestoreCloudEventOfBackground(eventType: string, resource: string): { type: string; source: string; subject: string } | undefined {
  const change = BACKGROUND_CHANGES.get(eventType);
  if (!change) return undefined;
  const name = parseDocumentName(resource);
  if (!name) throw new PayloadError('background', 'resource', `${JSON.stringify(resource.slice(0, 200))} is not projects/P/databases/D/documents/PATH`);
  return {
    type: `${TYPE_PREFIX}${change}`,
    source: `//firestore.googleapis.com/projects/${name.project}/databases/${name.database}`,
    subject: `documents/${name.path}`,
  };
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const SOURCE = /^\/\/firestore\.googleapis\.com\/projects\/([^/]+)\/databases\/([^/]+)$/;

type ProtoHalf = typeof import('./firestore-proto');
let protoHalf: ProtoHalf | undefined;
/**
 * protobufjs and the schema load on the first protobuf event, synchronously (the
 * decoder is a pure function). A failed load (protobufjs missing from the
 * deployment) throws an ordinary error, never a PayloadError: a 5xx, redelivered.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load: import() would make the decoder async
const protoDecoder = (): ProtoHalf => (protoHalf ??= require('./firestore-proto') as ProtoHalf);

function eventDataOf(input: PayloadInput): FirestoreEventData {
  const contentType = input.dataContentType;
  const media = contentType === 'application/protobuf' || contentType === 'application/json' ? contentType : mediaType(contentType);
  let protobuf: boolean;
  if (media === 'application/protobuf' || media === 'application/x-protobuf') protobuf = true;
  else if (isJsonMediaType(input.dataContentType)) protobuf = false;
  else if (media === '') protobuf = input.data.length > 0 && !isJsonText(input.data);
  else throw new PayloadError(SHAPE, 'datacontenttype', `${JSON.stringify(media.slice(0, 100))} is neither application/json nor application/protobuf`);
  return protobuf ? protoDecoder().eventDataOfProtobuf(input.data) : eventDataOfJson(parseJson(input.data, SHAPE, ''));
}

/** Without a content type: JSON starts with `{` (after white space); DocumentEventData protobuf never does. */
function isJsonText(data: Buffer): boolean {
  for (const byte of data) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}

/** A Firestore document event from its attributes and data; a PayloadError when it can never be one. */
export function firestoreDocumentEventOf(input: PayloadInput): FirestoreDocumentChange {
  const known = TYPES.get(input.type);
  if (!known) throw new PayloadError(SHAPE, 'type', `${JSON.stringify(input.type.slice(0, 200))} is no Firestore document event type`);
  const data = eventDataOf(input);

  const source = SOURCE.exec(input.source ?? '');
  const subject = input.subject?.startsWith('documents/') && input.subject.length > 'documents/'.length ? input.subject.slice('documents/'.length) : undefined;
  // The data's document name is taken apart only when the attributes leave something unnamed.
  let fromData: ReturnType<typeof parseDocumentName> | null = null;
  const named = () => {
    if (fromData === null) {
      const doc = data.value ?? data.oldValue;
      fromData = doc && parseDocumentName(doc.name);
    }
    return fromData;
  };

  const document = extensionOf(input, 'document') || subject || named()?.path;
  if (!document) throw new PayloadError(SHAPE, 'document', 'is named by neither the document attribute, the subject nor the data');
  const database = extensionOf(input, 'database') || source?.[2] || named()?.database;
  if (!database) throw new PayloadError(SHAPE, 'database', 'is named by neither the database attribute, the source nor the data');
  const project = extensionOf(input, 'project') || source?.[1] || named()?.project;
  const location = extensionOf(input, 'location');
  const namespace = extensionOf(input, 'namespace');

  let auth: FirestoreDocumentChange['auth'];
  if (known.withAuthContext) {
    const type = extensionOf(input, 'authtype');
    if (!type) throw new PayloadError(SHAPE, 'authtype', `is required for ${input.type}`);
    const id = extensionOf(input, 'authid');
    auth = { type, ...(id !== undefined && { id }) };
  }

  // Assignments, not conditional spreads (V8's slow path): this is the per-event cost.
  const event: Writable<FirestoreDocumentChange> = { kind: 'firestore.document', change: known.change, database, document, updateMask: data.updateMask };
  if (project !== undefined) event.project = project;
  if (location !== undefined) event.location = location;
  if (namespace !== undefined) event.namespace = namespace;
  if (data.value) event.value = data.value;
  if (data.oldValue) event.oldValue = data.oldValue;
  if (auth) event.auth = auth;
  return event;
}
