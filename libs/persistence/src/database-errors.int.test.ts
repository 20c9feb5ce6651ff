import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  applyMigrations,
  createPrismaClient,
  DatabaseBusy,
  DatabaseUnavailable,
  isUniqueViolation,
  retryOnUniqueViolation,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
  type PrismaClient,
} from './index';

jest.setTimeout(90_000);

/** What the services' Prisma client throws, against a real PostgreSQL that goes away. */
describe('createPrismaClient classifies database failures where they arise', () => {
  let dataDir: string;
  let pg: EmbeddedPostgresHandle | undefined;
  let prisma: PrismaClient | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'wb-db-errors-'));
    pg = await startEmbeddedPostgres({ dataDir });
    await applyMigrations(pg.connectionString);
    prisma = createPrismaClient(pg.connectionString, { poolSize: 2 });
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves a unique violation as Prisma reports it, for writers that read again', async () => {
    const client = prisma as PrismaClient;
    const insert = () => client.$executeRaw`INSERT INTO bus_consumer_offsets (group_id, topic, committed, updated_at)
      VALUES ('g', 't', 1, now())`;
    await insert();
    const failure: unknown = await insert().catch((error: unknown) => error);
    expect(isUniqueViolation(failure)).toBe(true);
  });

  it('ends a race lost every time with a retriable DatabaseBusy, after the given tries', async () => {
    const client = prisma as PrismaClient;
    let tries = 0;
    const failure: unknown = await retryOnUniqueViolation(3, () => {
      tries++;
      return client.$executeRaw`INSERT INTO bus_consumer_offsets (group_id, topic, committed, updated_at)
        VALUES ('g', 't', 2, now())`;
    }).catch((error: unknown) => error);
    expect(tries).toBe(3);
    expect(failure).toBeInstanceOf(DatabaseBusy);
    expect(failure).toMatchObject({ code: 'DATABASE.BUSY', retriable: true });
    expect(isUniqueViolation((failure as Error).cause)).toBe(true);
  });

  it('fails every kind of query with a retriable DatabaseUnavailable once PostgreSQL is down', async () => {
    const client = prisma as PrismaClient;
    await pg?.stop();
    const failures = await Promise.all(
      [
        () => client.domain.findMany(),
        () => client.$queryRaw`SELECT 1`,
        () => client.$transaction(async (tx) => tx.domain.findMany()),
      ].map((query) =>
        query().then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(DatabaseUnavailable);
      expect(failure).toMatchObject({ code: 'DATABASE.UNAVAILABLE', retriable: true });
    }
  });
});
