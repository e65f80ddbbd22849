/**
 * Cloud Audit Logs events: every LogEntryData fixture of Google's gives the entry
 * written out below; Eventarc's extension attributes come first; hostile data is a
 * PayloadError (permanent) naming the field.
 */
import { PayloadError } from '../../../functions/parse/errors';
import { AUDIT_LOG_WRITTEN, auditLogEventOf, type AuditLogEntry } from '../../../functions/parse/payloads/audit-log';
import type { PayloadInput } from '../../../functions/parse/payloads/payload-input';
import { readReal } from '../../support/fixtures';

const input = (data: unknown, more: Partial<PayloadInput> = {}): PayloadInput => ({
  type: AUDIT_LOG_WRITTEN,
  dataContentType: 'application/json; charset=utf-8',
  data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
  extensions: {},
  ...more,
});

const rejection = (decode: () => unknown): PayloadError => {
  try {
    decode();
  } catch (err) {
    if (err instanceof PayloadError) return err;
    throw err;
  }
  throw new Error('decoded without a PayloadError');
};

const ROBOT = 'robot@test-project.iam.gserviceaccount.com';
const IPV6 = '2620:15c:0:200:1a75:e914:115b:e970';
const SDK = 'google-cloud-sdk357.0.0 (gzip),gzip(gfe)';
const DATA_ACCESS = 'projects/test-project/logs/cloudaudit.googleapis.com%2Fdata_access';
const ACTIVITY = 'projects/test-project/logs/cloudaudit.googleapis.com%2Factivity';
const TOPIC = 'projects/test-project/topics/test-auditlogs-source';

type Entry = { protoPayload: { request?: unknown; response?: unknown } };
const binary = (name: string) => readReal<Entry>('google-cloudevents', 'examples', 'binary', 'audit', `LogEntryData-${name}.json`);
const testdata = (name: string) => readReal<Entry>('google-cloudevents', 'testdata', 'google', 'events', 'cloud', 'audit', 'v1', `LogEntryData-${name}.json`);

const bigquery = (insertId: string, resourceName: string): AuditLogEntry => ({
  kind: 'audit.log',
  serviceName: 'bigquery.googleapis.com',
  methodName: 'jobservice.jobcompleted',
  resourceName,
  principalEmail: ROBOT,
  callerIp: IPV6,
  userAgent: SDK,
  status: { code: 0 },
  severity: 'INFO',
  logName: DATA_ACCESS,
  insertId,
  timestamp: '2021-11-25T21:56:00.276607Z',
  project: 'test-project',
});
const createTopic = (entry: Entry): AuditLogEntry => ({
  kind: 'audit.log',
  serviceName: 'pubsub.googleapis.com',
  methodName: 'google.pubsub.v1.Publisher.CreateTopic',
  resourceName: TOPIC,
  principalEmail: ROBOT,
  callerIp: '192.168.0.1',
  userAgent: 'google-cloud-sdk',
  severity: 'NOTICE',
  logName: ACTIVITY,
  insertId: '9frck8cf9j',
  timestamp: '2020-06-30T16:14:47.593398572Z',
  project: 'test-project',
  request: entry.protoPayload.request,
  response: entry.protoPayload.response,
});

describe("Google's LogEntryData fixtures", () => {
  it.each<[string, Entry, AuditLogEntry]>([
    ['examples/binary bigqueryjobcompleted', binary('bigqueryjobcompleted'), bigquery('1234567', 'projects/test-project/jobs/sample-job')],
    ['examples/binary pubsubCreateTopic', binary('pubsubCreateTopic'), createTopic(binary('pubsubCreateTopic'))],
    [
      'testdata bigqueryjobcompleted',
      testdata('bigqueryjobcompleted'),
      bigquery('jpllvgecd7bx', 'projects/test-project/jobs/bqjob_r3ac45813612fa2d6_0000017d591922c9_1'),
    ],
    ['testdata pubsubCreateTopic', testdata('pubsubCreateTopic'), createTopic(testdata('pubsubCreateTopic'))],
    [
      'testdata monitoringCreateTimeSeries',
      testdata('monitoringCreateTimeSeries'),
      {
        kind: 'audit.log',
        serviceName: 'monitoring.googleapis.com',
        methodName: 'google.monitoring.v3.MetricService.CreateTimeSeries',
        resourceName: 'projects/test-project',
        principalEmail: ROBOT,
        callerIp: IPV6,
        userAgent: SDK,
        severity: 'INFO',
        logName: DATA_ACCESS,
        insertId: '1bqg3jae6l3gj',
        timestamp: '2021-11-25T21:56:00.276607Z',
        project: 'test-project',
        request: { '@type': 'type.googleapis.com/google.monitoring.v3.CreateTimeSeriesRequest', name: 'projects/test-project' },
      },
    ],
  ])('%s', (_name, entry, expected) => {
    expect(auditLogEventOf(input(entry))).toEqual(expected);
  });

  it('the structured example: its attributes and data give the same entry, with the recorded time', () => {
    const ce = readReal<Record<string, string> & { data: unknown }>(
      'google-cloudevents',
      'examples',
      'structured',
      'audit',
      'LogEntryData-bigqueryjobcompleted.json',
    );
    const { data, specversion: _v, id: _i, type, source, subject, time: _t, datacontenttype, dataschema: _d, ...extensions } = ce;
    const event = auditLogEventOf({ type: type, source, subject, dataContentType: datacontenttype, data: Buffer.from(JSON.stringify(data)), extensions });
    expect(event).toEqual({ ...bigquery('1234567', 'projects/test-project/jobs/sample-job'), recordedTime: '2021-11-25T21:56:00.276607Z' });
  });
});

describe('attributes and fields', () => {
  const entry = binary('pubsubCreateTopic');

  it("Eventarc's servicename, methodname and resourcename attributes come first", () => {
    const event = auditLogEventOf(
      input(entry, {
        extensions: { servicename: 's.googleapis.com', methodname: 'M', resourcename: 'projects/p/things/t', recordedtime: '2020-06-30T16:14:48Z' },
      }),
    );
    expect(event).toMatchObject({
      serviceName: 's.googleapis.com',
      methodName: 'M',
      resourceName: 'projects/p/things/t',
      recordedTime: '2020-06-30T16:14:48Z',
    });
  });

  it('an entry with only the attributes still names its service and method', () => {
    const event = auditLogEventOf(input({ protoPayload: {} }, { extensions: { servicename: 's', methodname: 'm' } }));
    expect(event).toEqual({ kind: 'audit.log', serviceName: 's', methodName: 'm' });
  });

  it('status, operation, metadata and a numeric severity', () => {
    const data = {
      protoPayload: {
        serviceName: 's',
        methodName: 'm',
        status: { code: 7, message: 'PERMISSION_DENIED', details: [{ reason: 'x' }] },
        metadata: { k: [1, 2] },
      },
      operation: { id: 'op-1', producer: 'p', first: true },
      severity: 500,
      resource: { labels: { project_id: 'from-labels' } },
    };
    expect(auditLogEventOf(input(data))).toEqual({
      kind: 'audit.log',
      serviceName: 's',
      methodName: 'm',
      status: { code: 7, message: 'PERMISSION_DENIED', details: [{ reason: 'x' }] },
      severity: 'ERROR',
      operation: { id: 'op-1', producer: 'p', first: true, last: false },
      project: 'from-labels',
      metadata: { k: [1, 2] },
    });
  });

  it('a request member named __proto__ is kept as the own member it arrived as', () => {
    const event = auditLogEventOf(input('{"protoPayload":{"serviceName":"s","methodName":"m","request":{"__proto__":{"polluted":true},"name":"n"}}}'));
    const request = event.request as Record<string, unknown>;
    expect(Object.getPrototypeOf(request)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(request, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a deeply nested request is passed on without being walked', () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const event = auditLogEventOf(input(`{"protoPayload":{"serviceName":"s","methodName":"m","request":${deep}}}`));
    let depth = 0;
    for (let v = event.request as Record<string, unknown>; typeof v === 'object'; v = v['a'] as Record<string, unknown>) depth++;
    expect(depth).toBe(5000);
  });
});

describe('hostile data is a PayloadError that names the field', () => {
  it.each<[string, unknown, string]>([
    ['data that is no object', [1], ''],
    ['no protoPayload', { insertId: 'x' }, 'protoPayload'],
    ['a protoPayload that is no object', { protoPayload: 'x' }, 'protoPayload'],
    ['no serviceName', { protoPayload: { methodName: 'm' } }, 'protoPayload.serviceName'],
    ['no methodName', { protoPayload: { serviceName: 's' } }, 'protoPayload.methodName'],
    ['a numeric serviceName', { protoPayload: { serviceName: 5, methodName: 'm' } }, 'protoPayload.serviceName'],
    [
      'a principal that is no string',
      { protoPayload: { serviceName: 's', methodName: 'm', authenticationInfo: { principalEmail: {} } } },
      'protoPayload.authenticationInfo.principalEmail',
    ],
    ['requestMetadata that is no object', { protoPayload: { serviceName: 's', methodName: 'm', requestMetadata: [] } }, 'protoPayload.requestMetadata'],
    ['an unknown severity', { protoPayload: { serviceName: 's', methodName: 'm' }, severity: 'LOUD' }, 'severity'],
    ['a status code that is text', { protoPayload: { serviceName: 's', methodName: 'm', status: { code: 'x' } } }, 'protoPayload.status.code'],
    ['operation.first as text', { protoPayload: { serviceName: 's', methodName: 'm' }, operation: { first: 'yes' } }, 'operation.first'],
    ['a timestamp that is a number', { protoPayload: { serviceName: 's', methodName: 'm' }, timestamp: 1 }, 'timestamp'],
  ])('%s', (_name, data, where) => {
    const err = rejection(() => auditLogEventOf(input(data)));
    expect(err.disposition).toBe('permanent');
    expect(err.shape).toBe('LogEntryData');
    expect(err.path).toBe(where);
  });

  it.each<[string, Partial<PayloadInput>, string]>([
    ['another type', { type: 'google.cloud.audit.log.v1.read' }, 'type'],
    ['a prototype name as the type', { type: 'constructor' }, 'type'],
    ['protobuf data', { dataContentType: 'application/protobuf' }, 'datacontenttype'],
    ['text that is not JSON', { data: Buffer.from('{"protoPayload":') }, ''],
  ])('%s', (_name, more, where) => {
    expect(rejection(() => auditLogEventOf(input(binary('pubsubCreateTopic'), more))).path).toBe(where);
  });
});
