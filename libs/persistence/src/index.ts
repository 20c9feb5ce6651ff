/**
 * @writeback/persistence — the project's PostgreSQL schema, its migrations and thin factories.
 * Services own their tables (see README.md); this package owns none of their logic.
 */
export { createDatabase, createPool, createPrismaClient, type Database, type PrismaClientOptions } from './client';
export { createSql, type SqlOptions } from './pg-sql';
export { sqlOverPrisma, type Sql } from './sql';
export { PrismaClient, Prisma } from './generated/prisma/client';
export { isUniqueViolation, retryOnUniqueViolation } from './errors';
export { classifyDatabaseError, DatabaseBusy, DatabaseUnavailable } from './database-errors';
export {
  claimDeadline,
  deadlineClose,
  deadlineInsert,
  expireDeadline,
  overdueDeadlines,
  type DeadlineClaim,
} from './operation-deadlines';
export type {
  Domain,
  Operation,
  OperationEvent,
  SealedCredential,
  AuditRecord,
  BusMessage,
  BusConsumerOffset,
} from './generated/prisma/client';

export { applyMigrations, defaultMigrationsDir, migrationChecksum, readMigrations } from './migrate';
export type { ApplyMigrationsOptions, ApplyMigrationsResult, MigrationFile } from './migrate';

export { startEmbeddedPostgres } from './embedded-postgres';
export type { EmbeddedPostgresOptions, EmbeddedPostgresHandle } from './embedded-postgres';
export { ROOT_FALLBACK_DIR } from './embedded-postgres-placement';

export {
  LOCAL_STATE_FILE,
  localDatabaseUrl,
  localStateFile,
  readLocalState,
  removeLocalState,
  withoutPassword,
  writeLocalState,
} from './local-state';
export type { LocalState } from './local-state';
