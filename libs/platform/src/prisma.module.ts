import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import {
  applyMigrations,
  createPrismaClient,
  sqlOverPrisma,
  type PrismaClient,
  type Sql,
} from '@writeback/persistence';
import { LOGGER, SERVICE_CONFIG } from './tokens';
import type { ServiceConfig } from './service-config';
import type { Logger } from '@writeback/observability';

export const PRISMA = Symbol('PrismaClient');
/** Plain SQL for the hot path (`Sql`), on the same connections as PRISMA. */
export const SQL = Symbol('Sql');

class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

/**
 * The service's database client. Migrations are applied at start (under an advisory lock,
 * so replicas may start together) unless WRITEBACK_MIGRATE_ON_START=false, for clusters
 * that run them as a separate job.
 */
@Global()
@Module({
  providers: [
    {
      provide: PRISMA,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: async (config: ServiceConfig, logger: Logger): Promise<PrismaClient> => {
        if (config.migrateOnStart) {
          const { applied } = await applyMigrations(config.databaseUrl);
          if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
        }
        return createPrismaClient(config.databaseUrl, { poolSize: config.databasePoolSize });
      },
    },
    { provide: SQL, inject: [PRISMA], useFactory: (prisma: PrismaClient): Sql => sqlOverPrisma(prisma) },
    PrismaLifecycle,
  ],
  exports: [PRISMA, SQL],
})
export class PrismaModule {}
