/**
 * Raw HTTP/1.1 clients on a bare socket, for what fetch cannot show: a body sent
 * as fast as the server takes it (with Content-Length or chunked) or a byte at a
 * time, whether the server answered before taking it all, and whether it closed
 * the connection. Also the peak RSS of a process (VmHWM) from /proc.
 */
import * as fs from 'fs';
import * as net from 'net';

export interface Exchange {
  /** The answer's status, or undefined when none came. */
  readonly status?: number;
  /** The answer's head and body as received. */
  readonly response: string;
  /** Body bytes the socket took from us before the answer or the close. */
  readonly bodyBytesSent: number;
  /** The server ended or reset the connection (rather than our deadline). */
  readonly closedByServer: boolean;
  /** From the first byte written to the answer's first byte (or to the end). */
  readonly answeredAfterMs?: number;
}

export interface UploadOptions {
  readonly bytes: number;
  readonly chunked: boolean;
  readonly contentType?: string;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Body bytes to send before pausing (all by default); the rest is never sent. */
  readonly stopAfter?: number;
  /** Give up (and close) after this long. */
  readonly deadlineMs: number;
  /** Chunked: the data bytes in each chunk (1 MiB by default); 1 makes a body of a million tiny chunks per MiB. */
  readonly chunkBytes?: number;
}

const CHUNK = Buffer.alloc(1024 * 1024, 'a');

/** About 1 MiB of chunked framing holding chunks of `dataBytes` each, and the data bytes it holds. */
function framedBlock(dataBytes: number): { block: Buffer; data: number } {
  const frame = Buffer.from(`${dataBytes.toString(16)}\r\n${'a'.repeat(dataBytes)}\r\n`);
  const count = Math.max(1, Math.floor(CHUNK.length / frame.length));
  return { block: Buffer.concat(Array.from({ length: count }, () => frame)), data: count * dataBytes };
}

function head(options: UploadOptions): string {
  const lines = [`POST ${options.path ?? '/'} HTTP/1.1`, 'Host: 127.0.0.1'];
  if (options.contentType) lines.push(`Content-Type: ${options.contentType}`);
  lines.push(options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${options.bytes}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Collects the answer on `socket`; resolves when the server closes it or at the deadline. */
function exchangeOn(socket: net.Socket, deadlineMs: number, sent: () => number): Promise<Exchange> {
  const started = Date.now();
  let response = '';
  let answeredAt: number | undefined;
  let closedByServer = false;
  socket.on('data', (d: Buffer) => {
    answeredAt ??= Date.now();
    // Keep the head and the start of the body only.
    if (response.length < 4096) response += d.toString('latin1');
  });
  socket.on('end', () => (closedByServer = true));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') closedByServer = true;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), deadlineMs);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1];
      resolve({
        ...(status !== undefined && { status: Number(status) }),
        response,
        bodyBytesSent: sent(),
        closedByServer,
        ...(answeredAt !== undefined && { answeredAfterMs: answeredAt - started }),
      });
    });
  });
}

/** Sends a body as fast as the server takes it (or `stopAfter` bytes of it) and waits for the answer and the close. */
export function upload(port: number, options: UploadOptions): Promise<Exchange> {
  const socket = net.connect(port, '127.0.0.1');
  let sent = 0;
  const stopAt = Math.min(options.stopAfter ?? options.bytes, options.bytes);
  const result = exchangeOn(socket, options.deadlineMs, () => sent);
  socket.once('connect', () => {
    socket.write(head(options));
    const small = options.chunked && options.chunkBytes !== undefined ? framedBlock(options.chunkBytes) : undefined;
    const pump = () => {
      while (small && !socket.destroyed && sent < stopAt) {
        sent += small.data;
        if (!socket.write(small.block)) return void socket.once('drain', pump);
      }
      while (!small && !socket.destroyed && sent < stopAt) {
        const n = Math.min(CHUNK.length, stopAt - sent);
        const piece = n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n);
        const framed = options.chunked ? [Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from('\r\n')] : [piece];
        let ok = true;
        for (const part of framed) ok = socket.write(part) && ok;
        sent += n;
        if (!ok) return void socket.once('drain', pump);
      }
      if (!socket.destroyed && sent >= options.bytes && options.chunked) socket.write('0\r\n\r\n');
    };
    pump();
  });
  // Writes after the server has gone fail with EPIPE or ECONNRESET: that is the close we look for.
  return result;
}

/** Sends `pieces` (of a head, or a head and a body) one every `intervalMs`: a slow client. bodyBytesSent counts every byte written. */
export function sendSlowly(port: number, pieces: readonly string[], intervalMs: number, deadlineMs: number): Promise<Exchange> {
  const socket = net.connect(port, '127.0.0.1');
  let i = 0;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const result = exchangeOn(socket, deadlineMs, () => sent);
  const next = () => {
    if (socket.destroyed || i >= pieces.length) return;
    sent += Buffer.byteLength(pieces[i]);
    socket.write(pieces[i++]);
    timer = setTimeout(next, intervalMs);
  };
  socket.once('connect', next);
  socket.once('close', () => clearTimeout(timer));
  return result;
}

/** The process's peak resident set size in bytes (VmHWM). */
export function peakRssBytes(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmHWM for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** The process's resident set size now, in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}
