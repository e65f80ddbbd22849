/** The HTTP answer to a request as data: made by receive (refusals) and answer (outcomes), written by either server. */
import type { ServerResponse } from 'http';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Writes an answer on either server (express's response is a Node one). A body goes with its
 * Content-Length: after writeHead node cannot add one, and would send the body chunked (a size
 * line before it and a last chunk after it, more bytes and pieces per answer).
 */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  const { body } = answer;
  if (body === undefined) {
    res.writeHead(answer.status, answer.headers);
    res.end();
    return;
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
