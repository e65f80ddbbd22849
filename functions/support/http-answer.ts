/** The HTTP answer to a request as data: made by receive (refusals) and answer (outcomes), written by either server. */
import type { ServerResponse } from 'http';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Writes an answer on either server (express's response is a Node one). */
export function writeAnswer(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
