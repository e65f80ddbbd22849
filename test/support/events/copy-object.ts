/** Cloud Storage events as the core hands them to an action. */
import type { StorageChange, StorageObjectEvent } from '../../../functions/parse/event';

export function storageEvent(change: StorageChange, object: { bucket: string; name: string; generation?: bigint; size?: number }): StorageObjectEvent {
  const data = Buffer.from(JSON.stringify({ bucket: object.bucket, name: object.name, generation: object.generation?.toString() }));
  const attributes = {
    specversion: '1.0',
    id: `${object.generation ?? 'x'}`,
    source: `//storage.googleapis.com/projects/_/buckets/${object.bucket}`,
    type: `google.cloud.storage.object.v1.${change}`,
    subject: `objects/${object.name}`,
  };
  return {
    kind: 'storage.object',
    change,
    type: attributes.type,
    id: attributes.id,
    source: attributes.source,
    object: { bucket: object.bucket, name: object.name, generation: object.generation, size: object.size === undefined ? undefined : BigInt(object.size) },
    delivery: {
      shape: 'cloudevent-binary',
      attributes: {},
      cloudEvent: { attributes, data, dataContentType: 'application/json' },
      raw: { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: data },
    },
  };
}
