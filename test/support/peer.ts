/**
 * Start and stop real peers (emulators, registries, nginx, the service itself) on
 * 127.0.0.1 for tests and benchmarks. A peer that is not installed fails the test
 * with a message naming the package: it never skips silently.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';

export interface Peer {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Everything the peer printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM by PID, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Throws with the Debian package to install when `path` is not an executable. */
export function requireExecutable(path: string, debianPackage: string): string {
  try {
    fs.accessSync(path, fs.constants.X_OK);
    return path;
  } catch {
    throw new Error(`${path} not found: install the Debian package "${debianPackage}" (.ci/run does this)`);
  }
}

export function waitForPort(port: number, timeoutMs: number, peer?: Peer): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (peer && peer.process.exitCode !== null) {
        reject(new Error(`${peer.name} exited with ${peer.process.exitCode} before listening on ${port}:\n${peer.output()}`));
        return;
      }
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${timeoutMs} ms${peer ? `:\n${peer.output()}` : ''}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface StartOptions extends SpawnOptions {
  /** Wait until this port accepts connections. */
  readyPort?: number;
  /** Or until the output contains this text. */
  readyText?: string | RegExp;
  readyTimeoutMs?: number;
}

export async function startPeer(name: string, command: string, args: string[], options: StartOptions = {}): Promise<Peer> {
  const { readyPort, readyText, readyTimeoutMs = 30000, ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false, ...spawnOptions });
  let out = '';
  const onData = (chunk: Buffer) => {
    // Keep the tail only: a chatty peer must not grow test memory without bound.
    out = (out + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) {
    await new Promise((r) => setTimeout(r, 10));
    throw new Error(`${name}: could not start ${command}`);
  }
  const peer: Peer = {
    name,
    pid: child.pid,
    process: child,
    output: () => out,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    if (readyPort !== undefined) await waitForPort(readyPort, readyTimeoutMs, peer);
    if (readyText !== undefined) {
      const deadline = Date.now() + readyTimeoutMs;
      const seen = () => (typeof readyText === 'string' ? out.includes(readyText) : readyText.test(out));
      while (!seen()) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await peer.stop(1000);
    throw err;
  }
  return peer;
}
