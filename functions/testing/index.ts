/**
 * `eventarc-router/testing`: deliveries for every shape and event family, and a way
 * to run one through a router in process. A user's test of their own route:
 *
 *   const result = await runDelivery(router, deliveries.storageObject({ bucket: 'releases', name: 'v1/app.tgz' }));
 *   expect(result.status).toBe(200);
 *   expect(result.routes).toEqual([{ route: 'release', status: 'done', result: { summary: '...' } }]);
 */
export * as deliveries from './deliveries';
export { fromFixture } from './deliveries';
export type {
  DeliveryRequest,
  Common,
  PushFields,
  PubSubMessageFields,
  StorageObjectFields,
  RegistryImageFields,
  FirestoreDocumentFields,
  AuditLogFields,
  BuildStatusFields,
  CloudEventFields,
} from './deliveries';
export { runDelivery, type DeliveryResult, type RunOptions } from './run-delivery';
export type { OutcomeKind, RouteOutcome, RouteResult } from '../support/outcome';
