import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { applyMigrations, createDatabase, type Database, type PrismaClient, type Sql } from '@writeback/persistence';
import { LOGGER, SERVICE_CONFIG } from './tokens';
import type { ServiceConfig } from './service-config';
import type { Logger } from '@writeback/observability';

export const PRISMA = Symbol('PrismaClient');
/** Plain SQL for the hot path (`Sql`: prepared statements), on the same pool as PRISMA. */
export const SQL = Symbol('Sql');
/** The service's one pool and both clients over it (`Database`). */
const DATABASE = Symbol('Database');

class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/**
 * The service's database: one node-postgres pool of WRITEBACK_DATABASE_POOL_SIZE connections,
 * under both PRISMA and SQL (ADR 0022), ended once on shutdown. Migrations are applied at start (under an advisory lock,
 * so replicas may start together) unless WRITEBACK_MIGRATE_ON_START=false, for clusters
 * that run them as a separate job.
 */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: async (config: ServiceConfig, logger: Logger): Promise<Database> => {
        if (config.migrateOnStart) {
          const { applied } = await applyMigrations(config.databaseUrl);
          if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
        }
        return createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
      },
    },
    { provide: PRISMA, inject: [DATABASE], useFactory: (database: Database): PrismaClient => database.prisma },
    { provide: SQL, inject: [DATABASE], useFactory: (database: Database): Sql => database.sql },
    DatabaseLifecycle,
  ],
  exports: [PRISMA, SQL],
})
export class PrismaModule {}
