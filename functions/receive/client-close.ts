/**
 * The lean server's "the client went away" for one request: aborts the routes'
 * signals when the connection closes before the answer has gone, as the framework's
 * per-request AbortController does, without one (support/abort-source.ts). One
 * `close` listener per request, which also gives the body's bytes back to the budget.
 */
import type { ServerResponse } from 'http';
import { AbortFanout } from '../support/abort-source';

export class ClientClose extends AbortFanout {
  constructor(
    res: ServerResponse,
    private readonly release: () => void,
  ) {
    super();
    res.once('close', () => {
      this.release();
      if (!res.writableFinished) this.abort(new Error('client closed the connection'));
    });
  }
}
