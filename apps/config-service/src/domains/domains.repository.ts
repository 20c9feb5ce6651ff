import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  DomainScope,
  envelope,
  PolicyOverrides,
  type Caller,
  type DomainConfig,
  type DomainConfigSnapshot,
  type DomainConfigView,
} from '@writeback/contracts';
import type { Domain, PrismaClient } from '@writeback/persistence';
import { configEventMessage, OutboxRelay, PRISMA, writeOutbox } from '@writeback/platform';
import { keyIdOf } from '@writeback/sealing';

export const CONFIG_PRODUCER = 'config-service';

const view = (d: Domain): DomainConfigView => ({
  id: d.id,
  displayName: d.displayName,
  ldapUrls: d.ldapUrls,
  baseDn: d.baseDn,
  upnSuffixes: d.upnSuffixes,
  bindDn: d.bindDn,
  bindSecretRef: d.bindSecretRef,
  tlsCaPem: d.tlsCaPem,
  tlsServerName: d.tlsServerName,
  publicKey: d.publicKey,
  keyId: d.keyId,
  writebackEnabled: d.writebackEnabled,
  engineOwnsDomain: d.engineOwnsDomain,
  allowUnlockWithoutReset: d.allowUnlockWithoutReset,
  policy: PolicyOverrides.parse(d.policy),
  scope: DomainScope.parse(d.scope),
  auditRetentionDays: d.auditRetentionDays,
  version: d.version,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

function snapshot(d: DomainConfigView | null): DomainConfigSnapshot | null {
  if (!d) return null;
  const { tlsCaPem, keyId: _keyId, version: _version, createdAt: _created, updatedAt: _updated, ...rest } = d;
  return { ...rest, tlsCaSha256: tlsCaPem ? createHash('sha256').update(tlsCaPem).digest('hex') : null };
}

function changedFields(before: DomainConfigSnapshot | null, after: DomainConfigSnapshot | null): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const value = (s: DomainConfigSnapshot | null, k: string): string =>
    JSON.stringify(s ? (s as Record<string, unknown>)[k] : undefined);
  return [...keys].filter((k) => value(before, k) !== value(after, k)).sort();
}

/**
 * The domains table, and its change history: every change commits together with a
 * DomainConfigurationChanged event in the outbox (who, when, before, after).
 */
@Injectable()
export class DomainsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly outbox: OutboxRelay,
  ) {}

  async list(): Promise<DomainConfigView[]> {
    return (await this.prisma.domain.findMany({ orderBy: { id: 'asc' } })).map(view);
  }

  async get(id: string): Promise<DomainConfigView | null> {
    const found = await this.prisma.domain.findUnique({ where: { id } });
    return found ? view(found) : null;
  }

  /** Creates or replaces; a save that changes nothing records nothing. */
  async save(config: DomainConfig, changedBy: Caller): Promise<DomainConfigView> {
    return this.prisma
      .$transaction(async (tx) => {
        const existing = await tx.domain.findUnique({ where: { id: config.id } });
        const before = existing ? view(existing) : null;
        const data = { ...config, keyId: keyIdOf(config.publicKey) };
        if (before && changedFields(snapshot(before), snapshot({ ...before, ...data })).length === 0) return before;
        const saved = view(
          await tx.domain.upsert({
            where: { id: config.id },
            create: data,
            update: { ...data, version: { increment: 1 } },
          }),
        );
        await this.recordChange(tx, before ? 'updated' : 'created', config.id, before, saved, changedBy);
        return saved;
      })
      .finally(() => this.outbox.kick());
  }

  async remove(id: string, changedBy: Caller): Promise<boolean> {
    return this.prisma
      .$transaction(async (tx) => {
        const existing = await tx.domain.findUnique({ where: { id } });
        if (!existing) return false;
        await tx.domain.delete({ where: { id } });
        await this.recordChange(tx, 'removed', id, view(existing), null, changedBy);
        return true;
      })
      .finally(() => this.outbox.kick());
  }

  private async recordChange(
    tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
    action: 'created' | 'updated' | 'removed',
    domainId: string,
    before: DomainConfigView | null,
    after: DomainConfigView | null,
    changedBy: Caller,
  ): Promise<void> {
    const changeId = randomUUID();
    const [from, to] = [snapshot(before), snapshot(after)];
    const event = envelope(
      {
        type: 'DomainConfigurationChanged',
        version: 1,
        data: {
          changeId,
          domainId,
          action,
          changedBy,
          changedAt: new Date().toISOString(),
          changedFields: changedFields(from, to),
          before: from,
          after: to,
        },
      },
      { correlationId: changeId },
    );
    await writeOutbox(tx, CONFIG_PRODUCER, [configEventMessage(event)]);
  }
}
