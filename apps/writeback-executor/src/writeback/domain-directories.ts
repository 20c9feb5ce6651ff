import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { DomainConfigView } from '@writeback/contracts';
import { LdapDirectory } from '@writeback/directory';
import {
  ConfigurationError,
  DOMAIN_CONFIG,
  DomainConfigClient,
  resolveSecretRef,
  type ReadinessCheck,
  type ReadinessChecks,
} from '@writeback/platform';
import { DomainKeys } from './domain-keys';
import { DOMAIN_KEYS, EXECUTOR_OPTIONS, type ExecutorOptions } from './executor-options';

/** One pooled directory per domain, rebuilt when its configuration or bind secret changes. */
@Injectable()
export class DomainDirectories implements OnApplicationShutdown, ReadinessChecks {
  private readonly directories = new Map<string, { key: string; directory: LdapDirectory }>();

  constructor(
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(DOMAIN_KEYS) private readonly keys: DomainKeys,
    @Inject(EXECUTOR_OPTIONS) private readonly options: ExecutorOptions,
  ) {}

  /**
   * The domain's configuration (read again when older than `atLeastVersion`) and its directory,
   * bound with the resolved bind secret. ConfigurationError when the domain is not configured.
   */
  async current(domainId: string, atLeastVersion = 0): Promise<{ domain: DomainConfigView; directory: LdapDirectory }> {
    const domain = await this.domains.current(domainId, atLeastVersion);
    if (!domain) throw new ConfigurationError(`domain ${domainId} is not configured`);
    return { domain, directory: this.for(domain, await resolveSecretRef(domain.bindSecretRef)) };
  }

  for(domain: DomainConfigView, bindPassword: string): LdapDirectory {
    const key = createHash('sha256')
      .update(JSON.stringify([domain.version, domain.updatedAt, bindPassword]))
      .digest('hex');
    const cached = this.directories.get(domain.id);
    if (cached?.key === key) return cached.directory;
    void cached?.directory.close();
    const directory = new LdapDirectory({
      domainId: domain.id,
      urls: domain.ldapUrls,
      baseDn: domain.baseDn,
      bindDn: domain.bindDn,
      bindPassword,
      tlsCaPem: domain.tlsCaPem,
      tlsServerName: domain.tlsServerName,
      maxConnections: this.options.ldapPoolSize,
    });
    this.directories.set(domain.id, { key, directory });
    return directory;
  }

  /**
   * Readiness: at least one DC of each served domain answers, bound as the service account
   * (through the pool the writes use). Without configuration there is nothing to check against.
   */
  async readinessChecks(): Promise<ReadinessCheck[]> {
    let domains: DomainConfigView[];
    try {
      domains = await this.domains.list();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return [{ name: 'config-service', check: () => Promise.reject(failure) }];
    }
    const served: DomainConfigView[] = [];
    for (const domain of domains) {
      const mine = this.options.domains.length
        ? this.options.domains.includes(domain.id)
        : await this.keys.has(domain.id);
      if (mine) served.push(domain);
    }
    return served.map((domain) => ({
      name: `directory:${domain.id}`,
      check: async () => this.for(domain, await resolveSecretRef(domain.bindSecretRef)).check(),
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.directories.values()].map(({ directory }) => directory.close()));
    this.directories.clear();
  }
}
