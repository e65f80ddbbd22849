/**
 * Stage record: each outcome's line is written once, at its kind's severity; a
 * throw from a later stage is internal (500, redelivered) with the request kept,
 * never a 4xx that would tell the sender it was its fault.
 */
import { answerOf } from '../../functions/answer/outcome';
import { record } from '../../functions/answer/record';
import { PASSED, incomingOf, nextOf } from '../support/stage-request';

describe('record stage', () => {
  it('writes the line of the outcome at its severity, and returns the outcome', async () => {
    const { request, sink } = incomingOf();
    await expect(record(request, nextOf())).resolves.toBe(PASSED);
    expect(sink.entries()).toEqual([expect.objectContaining({ severity: 'INFO', message: 'passed on' })]);
  });

  it('a throw is internal: 500, an ERROR line with the stack and the request', async () => {
    const { request, sink } = incomingOf({ body: Buffer.from('{"x":1}') });
    const outcome = await record(
      request,
      nextOf(async () => Promise.reject(new Error('a bug of ours'))),
    );
    expect(outcome.kind).toBe('internal');
    expect(answerOf(outcome).status).toBe(500);
    const [entry] = sink.entries();
    expect(entry).toMatchObject({ severity: 'ERROR' });
    expect(String(entry['message'])).toMatch(/^internal error: Error: a bug of ours\n\s+at /);
    expect(entry['request']).toMatchObject({ body: '{"x":1}' });
  });

  it('a throw of a non-error is internal too', async () => {
    const { request } = incomingOf();
    await expect(
      record(
        request,
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a stage that rejects with a non-Error
        nextOf(async () => Promise.reject('text')),
      ),
    ).resolves.toMatchObject({ kind: 'internal', line: { message: 'internal error: text' } });
  });
});
