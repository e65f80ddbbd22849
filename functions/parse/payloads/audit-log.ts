/**
 * Cloud Audit Logs events (`google.cloud.audit.log.v1.written`): a LogEntry
 * whose protoPayload is an AuditLog, in JSON. Service, method and resource come
 * from Eventarc's extension attributes first (`servicename`, `methodname`,
 * `resourcename`: what its trigger filtered on), then from the entry.
 */
import { PayloadError } from '../errors';
import { isJsonMediaType, parseJson } from './bytes';
import { booleanField, describe, isJsonObject, jsonField, objectField, stringField, type JsonObject } from './json-fields';
import { extensionOf, type PayloadInput } from './payload-input';
import { mediaType } from '../../support/media-type';

export const AUDIT_LOG_WRITTEN = 'google.cloud.audit.log.v1.written';

/** google.rpc.Status of the audited call (code 0 is OK). */
export interface AuditLogStatus {
  readonly code: number;
  readonly message?: string;
  readonly details?: readonly unknown[];
}

export interface AuditLogOperation {
  readonly id?: string;
  readonly producer?: string;
  readonly first: boolean;
  readonly last: boolean;
}

/** What an audit log event says; the envelope adds id, type, source, time and the delivery. */
export interface AuditLogEntry {
  readonly kind: 'audit.log';
  /** e.g. `pubsub.googleapis.com` */
  readonly serviceName: string;
  /** e.g. `google.pubsub.v1.Publisher.CreateTopic` */
  readonly methodName: string;
  /** e.g. `projects/p/topics/t` */
  readonly resourceName?: string;
  readonly principalEmail?: string;
  readonly callerIp?: string;
  /** The caller's own user agent (requestMetadata.callerSuppliedUserAgent). */
  readonly userAgent?: string;
  readonly status?: AuditLogStatus;
  /** LogSeverity by name: `INFO`, `NOTICE`, `ERROR`, ... */
  readonly severity?: string;
  readonly logName?: string;
  readonly insertId?: string;
  /** The entry's timestamp as delivered (RFC 3339). */
  readonly timestamp?: string;
  /** The `recordedtime` attribute, as delivered. */
  readonly recordedTime?: string;
  readonly operation?: AuditLogOperation;
  /** Project named by the log name (`projects/P/logs/...`) or the monitored resource. */
  readonly project?: string;
  /** protoPayload.request, .response and .metadata, as parsed JSON. */
  readonly request?: unknown;
  readonly response?: unknown;
  readonly metadata?: unknown;
}

const SHAPE = 'LogEntryData';

// google.logging.type.LogSeverity: proto3 JSON writes the name, a reader takes the number too.
const SEVERITIES: ReadonlyMap<number, string> = new Map([
  [0, 'DEFAULT'],
  [100, 'DEBUG'],
  [200, 'INFO'],
  [300, 'NOTICE'],
  [400, 'WARNING'],
  [500, 'ERROR'],
  [600, 'CRITICAL'],
  [700, 'ALERT'],
  [800, 'EMERGENCY'],
]);
const SEVERITY_NAMES: ReadonlySet<string> = new Set(SEVERITIES.values());

const LOG_NAME_PROJECT = /^projects\/([^/]+)\/logs\//;

function severityOf(entry: JsonObject): string | undefined {
  const v = jsonField(entry, 'severity');
  if (v === undefined) return undefined;
  if (typeof v === 'string' && SEVERITY_NAMES.has(v)) return v;
  if (typeof v === 'number' && SEVERITIES.has(v)) return SEVERITIES.get(v);
  throw new PayloadError(SHAPE, 'severity', `must be a LogSeverity (${[...SEVERITY_NAMES].join(', ')}), not ${describe(v)}`);
}

function statusOf(payload: JsonObject): AuditLogStatus | undefined {
  const status = objectField(payload, 'status', SHAPE, 'protoPayload');
  if (!status) return undefined;
  const code = jsonField(status, 'code') ?? 0;
  if (typeof code !== 'number' || !Number.isInteger(code))
    throw new PayloadError(SHAPE, 'protoPayload.status.code', `must be an integer, not ${describe(code)}`);
  const message = stringField(status, 'message', SHAPE, 'protoPayload.status');
  const details = jsonField(status, 'details');
  if (details !== undefined && !Array.isArray(details))
    throw new PayloadError(SHAPE, 'protoPayload.status.details', `must be an array, not ${describe(details)}`);
  return { code, ...(message !== undefined && { message }), ...(details !== undefined && { details: details as unknown[] }) };
}

function operationOf(entry: JsonObject): AuditLogOperation | undefined {
  const operation = objectField(entry, 'operation', SHAPE, '');
  if (!operation) return undefined;
  const id = stringField(operation, 'id', SHAPE, 'operation');
  const producer = stringField(operation, 'producer', SHAPE, 'operation');
  return {
    ...(id !== undefined && { id }),
    ...(producer !== undefined && { producer }),
    first: booleanField(operation, 'first', SHAPE, 'operation') ?? false,
    last: booleanField(operation, 'last', SHAPE, 'operation') ?? false,
  };
}

function projectOf(entry: JsonObject, logName: string | undefined): string | undefined {
  const fromLogName = LOG_NAME_PROJECT.exec(logName ?? '')?.[1];
  if (fromLogName) return fromLogName;
  const labels = objectField(objectField(entry, 'resource', SHAPE, '') ?? {}, 'labels', SHAPE, 'resource');
  return labels ? stringField(labels, 'project_id', SHAPE, 'resource.labels') : undefined;
}

/** An audit log event from its attributes and data; a PayloadError when it can never be one. */
export function auditLogEventOf(input: PayloadInput): AuditLogEntry {
  if (input.type !== AUDIT_LOG_WRITTEN) throw new PayloadError(SHAPE, 'type', `${JSON.stringify(input.type.slice(0, 200))} is not ${AUDIT_LOG_WRITTEN}`);
  if (mediaType(input.dataContentType) !== '' && !isJsonMediaType(input.dataContentType)) {
    throw new PayloadError(SHAPE, 'datacontenttype', `${JSON.stringify(mediaType(input.dataContentType).slice(0, 100))} is not JSON`);
  }
  const entry = parseJson(input.data, SHAPE, '');
  if (!isJsonObject(entry)) throw new PayloadError(SHAPE, '', `must be a JSON object, not ${describe(entry)}`);
  const payload = objectField(entry, 'protoPayload', SHAPE, '');
  if (!payload) throw new PayloadError(SHAPE, 'protoPayload', 'is required (an AuditLog)');

  // The structured example Google publishes spells the attributes in camel case.
  const attribute = (name: string, camel: string) => extensionOf(input, name) || extensionOf(input, camel) || undefined;
  const serviceName = attribute('servicename', 'serviceName') ?? stringField(payload, 'serviceName', SHAPE, 'protoPayload');
  if (!serviceName) throw new PayloadError(SHAPE, 'protoPayload.serviceName', 'is required');
  const methodName = attribute('methodname', 'methodName') ?? stringField(payload, 'methodName', SHAPE, 'protoPayload');
  if (!methodName) throw new PayloadError(SHAPE, 'protoPayload.methodName', 'is required');
  const resourceName = attribute('resourcename', 'resourceName') ?? stringField(payload, 'resourceName', SHAPE, 'protoPayload');
  const recordedTime = attribute('recordedtime', 'recordedTime');

  const authentication = objectField(payload, 'authenticationInfo', SHAPE, 'protoPayload');
  const principalEmail = authentication && stringField(authentication, 'principalEmail', SHAPE, 'protoPayload.authenticationInfo');
  const requestMetadata = objectField(payload, 'requestMetadata', SHAPE, 'protoPayload');
  const callerIp = requestMetadata && stringField(requestMetadata, 'callerIp', SHAPE, 'protoPayload.requestMetadata');
  const userAgent = requestMetadata && stringField(requestMetadata, 'callerSuppliedUserAgent', SHAPE, 'protoPayload.requestMetadata');

  const logName = stringField(entry, 'logName', SHAPE, '');
  const insertId = stringField(entry, 'insertId', SHAPE, '');
  const timestamp = stringField(entry, 'timestamp', SHAPE, '');
  const severity = severityOf(entry);
  const status = statusOf(payload);
  const operation = operationOf(entry);
  const project = projectOf(entry, logName);
  // Passed on as parsed, never walked here (nothing recurses into them).
  const request = jsonField(payload, 'request');
  const response = jsonField(payload, 'response');
  const metadata = jsonField(payload, 'metadata');

  return {
    kind: 'audit.log',
    serviceName,
    methodName,
    ...(resourceName !== undefined && { resourceName }),
    ...(principalEmail !== undefined && { principalEmail }),
    ...(callerIp !== undefined && { callerIp }),
    ...(userAgent !== undefined && { userAgent }),
    ...(status && { status }),
    ...(severity !== undefined && { severity }),
    ...(logName !== undefined && { logName }),
    ...(insertId !== undefined && { insertId }),
    ...(timestamp !== undefined && { timestamp }),
    ...(recordedTime !== undefined && { recordedTime }),
    ...(operation && { operation }),
    ...(project !== undefined && { project }),
    ...(request !== undefined && { request }),
    ...(response !== undefined && { response }),
    ...(metadata !== undefined && { metadata }),
  };
}
