/**
 * One request in, one typed event out. Recognises shapes A to H of docs/delivery.md
 * by what each carries, then hands the request to that shape's envelope parser.
 * Throws NotADeliveryError for requests that are no delivery (answered 4xx) and
 * PayloadError for deliveries that can never succeed (acknowledged and preserved).
 */
import type { RouterEvent } from './event';
import type { RawRequest } from '../receive/raw-request';
import { NotADeliveryError, PayloadError } from './errors';
import { isJsonMediaType } from './payloads/bytes';
import { mediaType } from '../support/media-type';
import { isBinaryCloudEvent, parseBinaryCloudEvent } from './envelopes/cloudevent-binary';
import { isStructuredCloudEvent, parseStructuredCloudEvent } from './envelopes/cloudevent-structured';
import { isPushEnvelope, parsePushEnvelope } from './envelopes/pubsub-push';
import { isNoWrapperPush, parseNoWrapperPush } from './envelopes/pubsub-nowrapper';
import { isBackgroundEvent, parseBackgroundEvent } from './envelopes/background';

export function parseDelivery(raw: RawRequest): RouterEvent {
  if (raw.method !== 'POST') throw new NotADeliveryError(405, `${raw.method} is not a delivery: events arrive as POST`);
  if (isBinaryCloudEvent(raw)) return parseBinaryCloudEvent(raw);
  if (isStructuredCloudEvent(raw)) return parseStructuredCloudEvent(raw);
  if (isNoWrapperPush(raw)) return parseNoWrapperPush(raw);
  if (raw.body.length === 0) throw new NotADeliveryError(400, 'empty body: not a CloudEvent, Pub/Sub push or background event');
  const type = mediaType(raw.headers['content-type']);
  if (type === 'application/cloudevents-batch+json') throw new NotADeliveryError(415, 'batched CloudEvents are not accepted');
  if (type !== '' && !isJsonMediaType(type) && type !== 'text/plain' && type !== 'application/octet-stream') {
    throw new NotADeliveryError(415, `content type "${type}" is no delivery shape (no ce-* headers, not JSON)`);
  }
  let json: unknown = raw.bodyJson;
  if (json === undefined) {
    try {
      json = JSON.parse(raw.body.toString('utf8'));
    } catch {
      throw new NotADeliveryError(400, 'body is not JSON and has no ce-* headers: not a delivery');
    }
  }
  if (isPushEnvelope(json)) return parsePushEnvelope(raw, json);
  if (isBackgroundEvent(json)) return parseBackgroundEvent(raw, json);
  throw new NotADeliveryError(400, 'JSON body is no delivery shape (no message, context or ce-* headers)');
}

export { NotADeliveryError, PayloadError };
