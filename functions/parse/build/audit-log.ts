/** A Cloud Audit Logs entry as Eventarc's audit-log trigger delivers it (shape B): a LogEntryData whose protoPayload is an AuditLog. */
import type { RawRequest } from '../../receive/raw-request';
import { buildCloudEvent, type CloudEventMode } from './cloudevent';

export interface AuditLogSpec {
  readonly id: string;
  readonly time: string;
  readonly project: string;
  readonly serviceName: string;
  readonly methodName: string;
  readonly resourceName?: string;
  readonly principalEmail?: string;
  readonly callerIp?: string;
  readonly userAgent?: string;
  /** `activity` (Admin Activity, the default) or `data_access`. */
  readonly log?: 'activity' | 'data_access';
  readonly severity?: string;
  readonly request?: Readonly<Record<string, unknown>>;
  readonly response?: Readonly<Record<string, unknown>>;
  readonly status?: { readonly code: number; readonly message?: string };
}

export function buildAuditLogEvent(e: AuditLogSpec, mode: CloudEventMode = 'cloudevent-binary'): RawRequest {
  const log = e.log ?? 'activity';
  const protoPayload = {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    serviceName: e.serviceName,
    methodName: e.methodName,
    ...(e.resourceName !== undefined && { resourceName: e.resourceName }),
    ...(e.principalEmail !== undefined && { authenticationInfo: { principalEmail: e.principalEmail } }),
    ...((e.callerIp !== undefined || e.userAgent !== undefined) && {
      requestMetadata: {
        ...(e.callerIp !== undefined && { callerIp: e.callerIp }),
        ...(e.userAgent !== undefined && { callerSuppliedUserAgent: e.userAgent }),
      },
    }),
    ...(e.request && { request: e.request }),
    ...(e.response && { response: e.response }),
    ...(e.status && { status: e.status }),
  };
  return buildCloudEvent(
    {
      id: e.id,
      time: e.time,
      type: 'google.cloud.audit.log.v1.written',
      source: `//cloudaudit.googleapis.com/projects/${e.project}/logs/${log}`,
      ...(e.resourceName !== undefined && { subject: `${e.serviceName}/${e.resourceName}` }),
      extensions: { servicename: e.serviceName, methodname: e.methodName, ...(e.resourceName !== undefined && { resourcename: e.resourceName }) },
      data: {
        insertId: e.id,
        logName: `projects/${e.project}/logs/cloudaudit.googleapis.com%2F${log}`,
        protoPayload,
        receiveTimestamp: e.time,
        timestamp: e.time,
        severity: e.severity ?? 'NOTICE',
        resource: { type: 'audited_resource', labels: { project_id: e.project, service: e.serviceName, method: e.methodName } },
      },
      dataContentType: 'application/json; charset=utf-8',
    },
    mode,
  );
}
