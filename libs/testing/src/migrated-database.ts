import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, createPrismaClient, startEmbeddedPostgres, type PrismaClient } from '@writeback/persistence';

/** An embedded PostgreSQL of one test file, with the project's migrations applied. */
export interface MigratedDatabase {
  prisma: PrismaClient;
  connectionString: string;
  /** Disconnects, stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh embedded PostgreSQL in a temporary directory named after `name`, applies the
 * migrations and connects a Prisma client with `poolSize` connections (default 4). For
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
  const prisma = createPrismaClient(pg.connectionString, { poolSize: options.poolSize ?? 4 });
  return {
    prisma,
    connectionString: pg.connectionString,
    stop: async () => {
      await prisma.$disconnect();
      await pg.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
