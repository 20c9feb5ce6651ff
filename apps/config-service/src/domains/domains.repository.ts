import { Inject, Injectable } from '@nestjs/common';
import { DomainScope, PolicyOverrides, type DomainConfig, type DomainConfigView } from '@writeback/contracts';
import type { Domain, PrismaClient } from '@writeback/persistence';
import { PRISMA } from '@writeback/platform';
import { keyIdOf } from '@writeback/sealing';

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
  version: d.version,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

@Injectable()
export class DomainsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async list(): Promise<DomainConfigView[]> {
    return (await this.prisma.domain.findMany({ orderBy: { id: 'asc' } })).map(view);
  }

  async get(id: string): Promise<DomainConfigView | null> {
    const found = await this.prisma.domain.findUnique({ where: { id } });
    return found ? view(found) : null;
  }

  /** Creates or replaces; returns null when `expectNew` and the id is taken. */
  async save(config: DomainConfig): Promise<DomainConfigView> {
    const data = { ...config, keyId: keyIdOf(config.publicKey) };
    const saved = await this.prisma.domain.upsert({
      where: { id: config.id },
      create: data,
      update: { ...data, version: { increment: 1 } },
    });
    return view(saved);
  }

  async remove(id: string): Promise<boolean> {
    const { count } = await this.prisma.domain.deleteMany({ where: { id } });
    return count > 0;
  }
}
