/**
 * One request in, one typed event out: the first envelope (parse/envelopes/) that
 * recognises the request's shape (A to H of docs/delivery.md) unwraps it, and the
 * interpreter (parse/interpret.ts) reads what it carried. Throws NotADeliveryError
 * for requests that are no delivery (answered 4xx) and PayloadError for deliveries
 * that can never succeed (acknowledged and preserved).
 */
import type { RouterEvent } from './event';
import type { RawRequest } from '../receive/raw-request';
import type { Envelope } from './envelopes/envelope';
import { NotADeliveryError, PayloadError } from './errors';
import { isJsonMediaType } from './payloads/bytes';
import { mediaType } from '../support/media-type';
import { interpret } from './interpret';
import { cloudEventBinary } from './envelopes/cloudevent-binary';
import { cloudEventStructured } from './envelopes/cloudevent-structured';
import { pubsubPush } from './envelopes/pubsub-push';
import { pubsubPushCloudEvent } from './envelopes/pubsub-push-cloudevent';
import { pubsubPushNoWrapper } from './envelopes/pubsub-nowrapper';
import { background } from './envelopes/background';

/** Every shape, in the order they are tried: the first whose detect() holds unwraps the request. */
const ENVELOPES: readonly Envelope[] = [cloudEventBinary, cloudEventStructured, pubsubPushNoWrapper, pubsubPushCloudEvent, pubsubPush, background];
const BY_HEADERS = ENVELOPES.filter((e) => e.reads === 'headers');
const BY_JSON_BODY = ENVELOPES.filter((e) => e.reads === 'json-body');

export function parseDelivery(raw: RawRequest): RouterEvent {
  return interpret(envelopeOf(raw));
}

function envelopeOf(raw: RawRequest) {
  if (raw.method !== 'POST') throw new NotADeliveryError(405, `${raw.method} is not a delivery: events arrive as POST`);
  for (const envelope of BY_HEADERS) if (envelope.detect(raw)) return envelope.unwrap(raw);
  if (raw.body.length === 0) throw new NotADeliveryError(400, 'empty body: not a CloudEvent, Pub/Sub push or background event');
  const type = mediaType(raw.headers['content-type']);
  if (type === 'application/cloudevents-batch+json') throw new NotADeliveryError(415, 'batched CloudEvents are not accepted');
  if (type !== '' && !isJsonMediaType(type) && type !== 'text/plain' && type !== 'application/octet-stream') {
    throw new NotADeliveryError(415, `content type "${type}" is no delivery shape (no ce-* headers, not JSON)`);
  }
  let withJson = raw;
  if (raw.bodyJson === undefined) {
    let json: unknown;
    try {
      json = JSON.parse(raw.body.toString('utf8'));
    } catch {
      throw new NotADeliveryError(400, 'body is not JSON and has no ce-* headers: not a delivery');
    }
    // Parsed once here, for detection and unwrapping alike; the same JSON.parse the server would have made.
    withJson = { method: raw.method, path: raw.path, headers: raw.headers, body: raw.body, bodyJson: json };
  }
  for (const envelope of BY_JSON_BODY) if (envelope.detect(withJson)) return envelope.unwrap(withJson);
  throw new NotADeliveryError(400, 'JSON body is no delivery shape (no message, context or ce-* headers)');
}

export { NotADeliveryError, PayloadError };
