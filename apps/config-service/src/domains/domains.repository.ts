import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  DomainScope,
  envelope,
  PolicyOverrides,
  ScimPush,
  type Caller,
  type DomainConfig,
  type DomainConfigSnapshot,
  type DomainConfigView,
  WritebackError,
} from '@writeback/contracts';
import { configEventMessage, OutboxRelay, writeOutbox } from '@writeback/messaging';
import { isUniqueViolation, sqlOverPrisma, type Domain, type PrismaClient } from '@writeback/persistence';
import { PRISMA } from '@writeback/platform';
import { keyIdOf } from '@writeback/sealing';
import { currentTraceparent } from '@writeback/observability';

export const CONFIG_PRODUCER = 'config-service';

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** How often a save without an expected version starts again after losing a race. */
const SAVE_ATTEMPTS = 5;

/** The stored version is not the one the caller read: its change would undo another. */
export class DomainVersionConflict extends WritebackError {
  readonly code = 'CONFIG.VERSION_CONFLICT';
  /** The caller must read again and decide: repeating the same save cannot succeed. */
  readonly retriable = false;

  constructor(
    readonly domainId: string,
    readonly expectedVersion: number,
    /** null when the domain does not exist, or changed while this save ran. */
    readonly currentVersion: number | null,
  ) {
    super(
      currentVersion === null
        ? `domain ${domainId} is not at version ${expectedVersion}: it changed or does not exist; read it again and retry`
        : `domain ${domainId} is at version ${currentVersion}, not ${expectedVersion}: it changed since it was read; read it again and retry`,
    );
  }
}

class ConcurrentChange extends WritebackError {
  readonly code = 'CONFIG.CONCURRENT_CHANGE';
  readonly retriable = true;

  constructor(readonly domainId: string) {
    super(`domain ${domainId} changed during the save`);
  }
}

function configOf(d: DomainConfigView): DomainConfig {
  const { keyId: _keyId, version: _version, createdAt: _created, updatedAt: _updated, ...config } = d;
  return config;
}

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
  scimPush: ScimPush.parse(d.scimPush),
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

  /**
   * Creates or replaces domain `id`; a save that changes nothing records nothing. `change`
   * builds the new configuration from the stored one (null when there is none) inside the
   * transaction, so a partial change (the switches) starts from the latest version. With
   * `expectedVersion` the save is refused unless that is the stored version; without it the
   * last writer wins, but never with a configuration read before another change committed.
   */
  async save(
    id: string,
    change: (current: DomainConfig | null) => DomainConfig,
    changedBy: Caller,
    expectedVersion?: number,
  ): Promise<DomainConfigView> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.prisma
          .$transaction((tx) => this.saveOnce(tx, id, change, changedBy, expectedVersion))
          .finally(() => this.outbox.kick());
      } catch (error) {
        if (!(error instanceof ConcurrentChange) || attempt === SAVE_ATTEMPTS) throw error;
      }
    }
  }

  private async saveOnce(
    tx: Transaction,
    id: string,
    change: (current: DomainConfig | null) => DomainConfig,
    changedBy: Caller,
    expectedVersion: number | undefined,
  ): Promise<DomainConfigView> {
    const existing = await tx.domain.findUnique({ where: { id } });
    const before = existing ? view(existing) : null;
    if (expectedVersion !== undefined && before?.version !== expectedVersion) {
      throw new DomainVersionConflict(id, expectedVersion, before?.version ?? null);
    }
    const config = change(before ? configOf(before) : null);
    const data = { ...config, keyId: keyIdOf(config.publicKey) };
    if (before && changedFields(snapshot(before), snapshot({ ...before, ...data })).length === 0) return before;
    if (before) {
      // Compare and set: under READ COMMITTED a concurrent update makes this match no row.
      const { count } = await tx.domain.updateMany({
        where: { id, version: before.version },
        data: { ...data, version: { increment: 1 } },
      });
      if (count === 0) throw this.concurrent(id, expectedVersion);
    } else {
      await tx.domain.create({ data }).catch((error: unknown) => {
        throw isUniqueViolation(error) ? this.concurrent(id, expectedVersion) : error;
      });
    }
    const saved = view(await tx.domain.findUniqueOrThrow({ where: { id } }));
    await this.recordChange(tx, before ? 'updated' : 'created', id, before, saved, changedBy);
    return saved;
  }

  /** A change that committed after this save read the domain: a conflict when a version was expected. */
  private concurrent(id: string, expectedVersion: number | undefined): Error {
    return expectedVersion === undefined
      ? new ConcurrentChange(id)
      : new DomainVersionConflict(id, expectedVersion, null);
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
    tx: Transaction,
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
      // The change's trace (the HTTP request that made it) follows it to the audit trail.
      { correlationId: changeId, traceparent: currentTraceparent() },
    );
    await writeOutbox(sqlOverPrisma(tx), CONFIG_PRODUCER, [configEventMessage(event)]);
  }
}
