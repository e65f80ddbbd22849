/**
 * One error taxonomy, as tables: what each status means, and what every kind of
 * error each action sees means for redelivery, decided by the one classification.
 */
import { PermanentError, RetryableError, actionFailure } from '../../functions/act/errors';
import { classifyStatus, failedRequestError, raiseForStatus } from '../../functions/act/forward/outcome';
import { storageFailure } from '../../functions/act/copy-object/storage-errors';
import { asActionError } from '../../functions/act/replicate-image/failures';
import { PayloadError } from '../../functions/parse/errors';
import { SourceNotFoundError } from '../../functions/registry/copy';
import { DigestMismatchError, SizeMismatchError } from '../../functions/registry/digest';
import { ManifestError } from '../../functions/registry/manifest';
import { UnsafePeerError } from '../../functions/registry/peer';
import { ImageReferenceError } from '../../functions/registry/reference';
import { RegistryHttpError, isRetryableFailure } from '../../functions/registry/retry';
import { UntagRefusedError } from '../../functions/registry/untag';
import { classify } from '../../functions/route/dispatch';
import type { Route } from '../../functions/route/router';
import { carriedDisposition, dispositionOfStatus, type Disposition } from '../../functions/support/disposition';
import { dispositionOfFailure } from '../../functions/support/failure-disposition';

const nodeError = (code: string, message = code) => Object.assign(new Error(message), { code });
/** What @google-cloud/storage throws for an HTTP answer: its ApiError carries the status as `code`. */
const storageApiError = (status: number) => Object.assign(new Error(`storage answered ${status}`), { code: status });
const abortError = () => new DOMException('This operation was aborted', 'AbortError');

/** Rows titled "kind -> expected" (the last column), whatever the columns between. */
function titled<R extends readonly [string, ...unknown[]]>(rows: readonly R[]): R[] {
  return rows.map((row) => [`${row[0]} -> ${String(row[row.length - 1])}`, ...row.slice(1)] as unknown as R);
}

describe('dispositionOfStatus: 408, 429 and 5xx are retryable', () => {
  test.each<[number, Disposition]>([
    [100, 'permanent'],
    [200, 'permanent'],
    [304, 'permanent'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [407, 'permanent'],
    [408, 'retry'],
    [409, 'permanent'],
    [412, 'permanent'],
    [428, 'permanent'],
    [429, 'retry'],
    [430, 'permanent'],
    [499, 'permanent'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
  ])('%i -> %s', (status, disposition) => {
    expect(dispositionOfStatus(status)).toBe(disposition);
  });

  test('the registry client, forward and copy-object read statuses the same way', () => {
    for (let status = 400; status <= 599; status++) {
      const expected = dispositionOfStatus(status);
      expect([status, new RegistryHttpError('x', status).disposition]).toEqual([status, expected]);
      expect([status, classifyStatus(status, [])]).toEqual([status, expected]);
      expect([status, carriedDisposition(storageFailure(storageApiError(status), 'reading'))]).toEqual([status, expected]);
    }
  });
});

describe('the errors we raise carry their disposition (and cause)', () => {
  test.each<[string, Error, Disposition]>(
    titled([
      ['PermanentError', new PermanentError('x'), 'permanent'],
      ['RetryableError', new RetryableError('x'), 'retry'],
      ['PayloadError', new PayloadError('pubsub-push', 'message.data', 'is not valid base64'), 'permanent'],
      ['SourceNotFoundError', new SourceNotFoundError('r/a:v1'), 'permanent'],
      ['DigestMismatchError', new DigestMismatchError('sha256:a', 'sha256:b', 'blob'), 'permanent'],
      ['SizeMismatchError (a truncated stream)', new SizeMismatchError(10, 5, 'blob'), 'retry'],
      ['ManifestError', new ManifestError('bad media type'), 'permanent'],
      ['UnsafePeerError', new UnsafePeerError('cross-host Link'), 'permanent'],
      ['ImageReferenceError', new ImageReferenceError('bad host'), 'permanent'],
      ['UntagRefusedError', new UntagRefusedError('405'), 'permanent'],
      ['RegistryHttpError 503', new RegistryHttpError('x', 503), 'retry'],
      ['RegistryHttpError 403', new RegistryHttpError('x', 403), 'permanent'],
    ]),
  )('%s', (_kind, err, disposition) => {
    expect(carriedDisposition(err)).toBe(disposition);
    expect(dispositionOfFailure(err)).toBe(disposition);
  });

  test('handlers keep their constructors, names and causes', () => {
    const cause = new Error('down');
    const retry = new RetryableError('later', { cause });
    expect(retry).toBeInstanceOf(Error);
    expect([retry.name, retry.message, retry.cause]).toEqual(['RetryableError', 'later', cause]);
    expect(new PermanentError('never').name).toBe('PermanentError');
    expect(actionFailure('permanent', 'm', cause)).toBeInstanceOf(PermanentError);
    expect(actionFailure('retry', 'm')).toBeInstanceOf(RetryableError);
  });

  test('read by shape: an error from another copy of the package still counts', () => {
    expect(carriedDisposition(Object.assign(new Error('x'), { disposition: 'permanent' }))).toBe('permanent');
    expect(carriedDisposition(Object.assign(new Error('x'), { disposition: 'later' }))).toBeUndefined();
    expect(carriedDisposition(Object.assign(new Error('x'), { permanent: true }))).toBeUndefined();
  });
});

describe('foreign errors are decided in one place', () => {
  test.each<[string, unknown, Disposition | undefined]>(
    titled([
      ['ECONNRESET', nodeError('ECONNRESET'), 'retry'],
      ['ECONNREFUSED', nodeError('ECONNREFUSED'), 'retry'],
      ['ETIMEDOUT', nodeError('ETIMEDOUT'), 'retry'],
      ['EAI_AGAIN', nodeError('EAI_AGAIN'), 'retry'],
      ['EPIPE', nodeError('EPIPE'), 'retry'],
      ['ERR_STREAM_PREMATURE_CLOSE', nodeError('ERR_STREAM_PREMATURE_CLOSE'), 'retry'],
      ['UND_ERR_SOCKET', nodeError('UND_ERR_SOCKET'), 'retry'],
      ['socket hang up (no code)', new Error('socket hang up'), 'retry'],
      ['ERR_INVALID_CHAR (request cannot be built)', nodeError('ERR_INVALID_CHAR'), 'permanent'],
      ['ERR_INVALID_HTTP_TOKEN', nodeError('ERR_INVALID_HTTP_TOKEN'), 'permanent'],
      ['ERR_HTTP_INVALID_HEADER_VALUE', nodeError('ERR_HTTP_INVALID_HEADER_VALUE'), 'permanent'],
      ['ERR_UNESCAPED_CHARACTERS', nodeError('ERR_UNESCAPED_CHARACTERS'), 'permanent'],
      ['Storage ApiError 503', storageApiError(503), 'retry'],
      ['Storage ApiError 429', storageApiError(429), 'retry'],
      ['Storage ApiError 403', storageApiError(403), 'permanent'],
      ['a gRPC code is no status', Object.assign(new Error('unavailable'), { code: 14 }), undefined],
      ['AbortError says nothing of the peer', abortError(), undefined],
      ['a plain Error', new Error('boom'), undefined],
      ['a string', 'boom', undefined],
      ['undefined', undefined, undefined],
    ]),
  )('%s', (_kind, err, disposition) => {
    expect(dispositionOfFailure(err)).toBe(disposition);
  });
});

describe('what each action makes of what it sees', () => {
  const kinds = {
    reset: nodeError('ECONNRESET', 'read ECONNRESET'),
    unbuildable: nodeError('ERR_INVALID_CHAR', 'Invalid character in header content ["x-a"]'),
    abort: abortError(),
    plain: new Error('boom'),
  };

  // The registry client retries only what says it may succeed; it does not retry on a guess.
  test.each<[string, unknown, boolean]>(
    titled([
      ['429', new RegistryHttpError('x', 429, 1000), true],
      ['500', new RegistryHttpError('x', 500), true],
      ['404', new RegistryHttpError('x', 404), false],
      ['size mismatch', new SizeMismatchError(10, 5, 'blob'), true],
      ['digest mismatch', new DigestMismatchError('sha256:a', 'sha256:b', 'blob'), false],
      ['a hostile manifest whose text says aborted', new ManifestError('media type "aborted" is not a manifest'), false],
      ['reset', kinds.reset, true],
      ['unbuildable', kinds.unbuildable, false],
      ['abort', kinds.abort, false],
      ['plain', kinds.plain, false],
    ]),
  )('registry retry: %s', (_kind, err, retried) => {
    expect(isRetryableFailure(err)).toBe(retried);
  });

  // replicate-image redelivers every failure that does not say it is permanent.
  test.each<[string, unknown, Disposition]>(
    titled([
      ['registry 503 after retries', new RegistryHttpError('x', 503), 'retry'],
      ['registry 401', new RegistryHttpError('x', 401), 'permanent'],
      ['missing source', new SourceNotFoundError('r/a:v1'), 'permanent'],
      ['digest mismatch', new DigestMismatchError('sha256:a', 'sha256:b', 'blob'), 'permanent'],
      ['hostile manifest', new ManifestError('x'), 'permanent'],
      ['unsafe peer', new UnsafePeerError('x'), 'permanent'],
      ['bad reference', new ImageReferenceError('x'), 'permanent'],
      ['untag refused', new UntagRefusedError('x'), 'permanent'],
      ['size mismatch', new SizeMismatchError(10, 5, 'blob'), 'retry'],
      ['reset', kinds.reset, 'retry'],
      ['unbuildable', kinds.unbuildable, 'permanent'],
      ['abort', kinds.abort, 'retry'],
      ['plain', kinds.plain, 'retry'],
    ]),
  )('replicate-image: %s', (_kind, err, disposition) => {
    const failure = asActionError(err, 'copy of a to b');
    expect(failure.disposition).toBe(disposition);
    expect(failure).toBeInstanceOf(disposition === 'retry' ? RetryableError : PermanentError);
    expect(failure.cause).toBe(err);
  });

  test.each<[string, number, readonly number[], 'accepted' | Disposition]>(
    titled([
      ['2xx', 204, [], 'accepted'],
      ['5xx', 502, [], 'retry'],
      ['429', 429, [], 'retry'],
      ['404', 404, [], 'permanent'],
      ['a 4xx the route lists', 423, [423], 'retry'],
      ['a 3xx not followed', 303, [303], 'permanent'],
    ]),
  )('forward answer: %s', (_kind, status, retryStatuses, verdict) => {
    expect(classifyStatus(status, retryStatuses)).toBe(verdict);
    if (verdict === 'accepted') expect(() => raiseForStatus(status, retryStatuses, 'http://t/', '')).not.toThrow();
    else expect(() => raiseForStatus(status, retryStatuses, 'http://t/', '')).toThrow(verdict === 'retry' ? RetryableError : PermanentError);
  });

  test.each<[string, unknown, boolean, Disposition]>(
    titled([
      ['reset', kinds.reset, false, 'retry'],
      ['refused', nodeError('ECONNREFUSED'), false, 'retry'],
      ['timed out', kinds.abort, true, 'retry'],
      ['unbuildable', kinds.unbuildable, false, 'permanent'],
      ['plain', kinds.plain, false, 'retry'],
    ]),
  )('forward request: %s', (_kind, err, timedOut, disposition) => {
    expect(failedRequestError(err, 'http://t/', timedOut, 1000).disposition).toBe(disposition);
  });

  test.each<[string, unknown, Disposition]>(
    titled([
      ['503', storageApiError(503), 'retry'],
      ['429', storageApiError(429), 'retry'],
      ['408', storageApiError(408), 'retry'],
      ['403', storageApiError(403), 'permanent'],
      ['400', storageApiError(400), 'permanent'],
      ['reset (no answer)', kinds.reset, 'retry'],
      ['plain (no answer)', kinds.plain, 'retry'],
    ]),
  )('copy-object: %s', (_kind, err, disposition) => {
    expect(carriedDisposition(storageFailure(err, 'copying'))).toBe(disposition);
  });

  // The router reads only what an error carries: a foreign error a handler lets through is unexpected (500).
  const route = (isPermanent?: (error: unknown) => boolean): Route =>
    ({ name: 'r', filter: () => true, handler: () => undefined, timeoutMs: 1000, ...(isPermanent && { isPermanent }) }) as unknown as Route;
  test.each<[string, unknown, 'permanent' | 'unavailable' | 'unexpected']>(
    titled([
      ['PermanentError', new PermanentError('x'), 'permanent'],
      ['RetryableError', new RetryableError('x'), 'unavailable'],
      ['PayloadError from event.json()', new PayloadError('event', 'data', 'is not valid JSON'), 'permanent'],
      ['a registry error let through', new ManifestError('x'), 'permanent'],
      ['a foreign reset', kinds.reset, 'unexpected'],
      ['a foreign 404', storageApiError(404), 'unexpected'],
      ['a plain Error', kinds.plain, 'unexpected'],
    ]),
  )('route: %s', (_kind, err, expected) => {
    const outcome = classify(route(), err);
    const seen = outcome.status === 'permanent' ? 'permanent' : outcome.status === 'retry' && outcome.unavailable ? 'unavailable' : 'unexpected';
    expect(seen).toBe(expected);
  });

  test("route: the route's isPermanent decides for foreign errors", () => {
    const r = route((e) => (e as { code?: unknown }).code === 404);
    expect(classify(r, storageApiError(404)).status).toBe('permanent');
    expect(classify(r, storageApiError(500))).toMatchObject({ status: 'retry', unavailable: false });
  });
});
