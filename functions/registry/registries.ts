/**
 * The registry clients of one copier (a CLI run, or an action's lifetime):
 * one keep-alive pool and one token cache per host, reused across copies.
 */
import { RegistryClient } from './client';
import type { CredentialSource } from './credentials';
import { HttpTransport } from './http';
import type { RegistryQuotas } from './quota';
import type { RetryObserver, RetryPolicy } from './retry';

export interface RegistryAccess {
  /** Plain HTTP to every host (loopback hosts always use it). */
  readonly insecure: boolean;
  readonly credentials: CredentialSource;
  readonly retry: RetryPolicy;
  readonly observer?: RetryObserver;
  /** The instance's per-host budgets, shared with every other copier of the instance. */
  readonly quotas?: RegistryQuotas;
}

export class Registries {
  private readonly transport = new HttpTransport();
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly access: RegistryAccess) {}

  client(host: string): RegistryClient {
    let client = this.clients.get(host);
    if (!client) {
      client = new RegistryClient(host, { ...this.access, transport: this.transport, quota: this.access.quotas?.of(host) });
      this.clients.set(host, client);
    }
    return client;
  }

  close(): void {
    this.transport.close();
  }
}
