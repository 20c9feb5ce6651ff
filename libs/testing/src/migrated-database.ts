import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMigrations,
  createDatabase,
  startEmbeddedPostgres,
  type PrismaClient,
  type Sql,
} from '@writeback/persistence';

/** An embedded PostgreSQL of one test file, with the project's migrations applied. */
export interface MigratedDatabase {
  prisma: PrismaClient;
  /** Prepared statements on the same pool as `prisma`, as services have them. */
  sql: Sql;
  connectionString: string;
  /** Disconnects, stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh embedded PostgreSQL in a temporary directory named after `name`, applies the
 * migrations and connects a Prisma client and `Sql` over one pool of `poolSize` connections
 * (default 4). For
 * integration tests of a repository against the real database: start it in `beforeAll`,
 * `stop()` it in `afterAll`.
 */
export async function startMigratedDatabase(
  name: string,
  options: { poolSize?: number } = {},
): Promise<MigratedDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
  const pg = await startEmbeddedPostgres({ dataDir });
  try {
    await applyMigrations(pg.connectionString);
  } catch (error) {
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const database = createDatabase(pg.connectionString, { poolSize: options.poolSize ?? 4 });
  return {
    prisma: database.prisma,
    sql: database.sql,
    connectionString: pg.connectionString,
    stop: async () => {
      await database.close();
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
