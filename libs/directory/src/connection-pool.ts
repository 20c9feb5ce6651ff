import type { Client } from 'ldapts';
import { type DirectoryError, isConnectionLevel, toDirectoryError } from './directory-error';
import { createLdapsClient } from './ldaps-client';
import { ldapRequests, type LdapRequests, retainDcs } from './ldap-telemetry';

export interface PoolOptions {
  /** The domain the DCs serve: a label of the pool's spans and metrics. */
  domainId: string;
  /** Tried in order; the next one is used when a DC cannot be reached. */
  urls: readonly string[];
  bindDn: string;
  bindPassword: string;
  tlsCaPem?: string | null;
  tlsServerName?: string | null;
  timeoutMs: number;
  /** Connections open at once, across all URLs; further work waits its turn. */
  maxConnections: number;
  /** A connection idle longer than this is closed rather than reused. */
  idleMs: number;
}

interface Idle {
  client: Client;
  since: number;
}

/**
 * Bound LDAPS connections to one domain's DCs, reused across writes and bounded in number.
 * A DC that cannot be reached sends the work to the next URL; a reused connection that turns
 * out dead is replaced once before that, since DCs close idle connections.
 */
export class LdapConnectionPool {
  private readonly idle = new Map<string, Idle[]>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  private readonly requests = new Map<string, LdapRequests>();

  constructor(private readonly options: PoolOptions) {
    // A domain gets a new pool whenever its configuration changes, DC list included.
    retainDcs(options.domainId, options.urls);
  }

  /** Traced, measured LDAP requests to the DC at `url`. */
  private ldap(url: string): LdapRequests {
    let requests = this.requests.get(url);
    if (!requests) {
      requests = ldapRequests(this.options.domainId, url);
      this.requests.set(url, requests);
    }
    return requests;
  }

  async use<T>(work: (client: Client, url: string, ldap: LdapRequests) => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      let last: DirectoryError | undefined;
      for (const url of this.options.urls) {
        // A reused connection may have been closed by the DC while idle: one fresh try follows.
        for (const fresh of [false, true]) {
          let opened: { client: Client; reused: boolean };
          try {
            opened = await this.connection(url, fresh);
          } catch (error) {
            last = toDirectoryError(error);
            if (!isConnectionLevel(last)) throw last;
            break;
          }
          try {
            const result = await work(opened.client, url, this.ldap(url));
            this.release(url, opened.client);
            return result;
          } catch (error) {
            const failure = toDirectoryError(error);
            if (!isConnectionLevel(failure)) {
              this.release(url, opened.client);
              throw failure;
            }
            await opened.client.unbind().catch(() => undefined);
            last = failure;
            if (!opened.reused) break;
          }
        }
      }
      throw last as DirectoryError;
    } finally {
      this.releaseSlot();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map(({ client }) => client.unbind().catch(() => undefined)));
  }

  private async connection(url: string, fresh: boolean): Promise<{ client: Client; reused: boolean }> {
    const list = this.idle.get(url) ?? [];
    while (!fresh && list.length > 0) {
      const candidate = list.pop() as Idle;
      if (Date.now() - candidate.since < this.options.idleMs && candidate.client.isConnected) {
        return { client: candidate.client, reused: true };
      }
      void candidate.client.unbind().catch(() => undefined);
    }
    const client = createLdapsClient({ url, ...this.options });
    try {
      await this.ldap(url)('bind', {}, () => client.bind(this.options.bindDn, this.options.bindPassword));
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
    return { client, reused: false };
  }

  private release(url: string, client: Client): void {
    if (this.closed) {
      void client.unbind().catch(() => undefined);
      return;
    }
    this.idle.set(url, [...(this.idle.get(url) ?? []), { client, since: Date.now() }]);
  }

  private async acquireSlot(): Promise<void> {
    if (this.active < this.options.maxConnections) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
