import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { applyRetention } from '@writeback/audit-ledger';
import type { Logger } from '@writeback/observability';
import type { PrismaClient } from '@writeback/persistence';
import {
  DOMAIN_CONFIG,
  DomainConfigClient,
  LOGGER,
  PRISMA,
  SERVICE_SETTINGS,
  type AuditSettings,
} from '@writeback/platform';

const DAY_MS = 86_400_000;

/** Applies each domain's `auditRetentionDays`, on a timer and on an operator's request. */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_SETTINGS) private readonly settings: AuditSettings,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.settings.WRITEBACK_AUDIT_RETENTION_INTERVAL_MS;
    this.timer = setInterval(() => {
      this.run(new Date()).catch((error: unknown) => this.logger.warn({ err: error }, 'audit retention failed'));
    }, every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Removes what each domain no longer keeps as of `asOf`; returns the count per domain. */
  async run(asOf: Date): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const domain of await this.domains.list()) {
      if (domain.auditRetentionDays === null) continue;
      const cutoff = new Date(asOf.getTime() - domain.auditRetentionDays * DAY_MS);
      removed[domain.id] = await applyRetention(this.prisma, domain.id, cutoff);
      if (removed[domain.id]) {
        this.logger.info({ domainId: domain.id, removed: removed[domain.id], cutoff }, 'audit retention applied');
      }
    }
    return removed;
  }
}
