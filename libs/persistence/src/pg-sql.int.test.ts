import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createDatabase,
  createSql,
  DatabaseBusy,
  DatabaseUnavailable,
  isUniqueViolation,
  Prisma,
  sqlOverPrisma,
  startEmbeddedPostgres,
  type Database,
  type EmbeddedPostgresHandle,
  type Sql,
} from './index';

jest.setTimeout(90_000);

/**
 * `createSql` against a real PostgreSQL, next to `sqlOverPrisma` on the same pool: the same
 * statements, the same values back, failures classified alike, connections given back.
 */
describe('createSql', () => {
  let dataDir: string;
  let pg: EmbeddedPostgresHandle | undefined;
  let database: Database | undefined;
  const zone = process.env.TZ;

  beforeAll(async () => {
    // node-postgres reads a zoneless timestamp as local time: a zone far from UTC shows it.
    process.env.TZ = 'America/New_York';
    dataDir = mkdtempSync(path.join(tmpdir(), 'wb-pg-sql-'));
    pg = await startEmbeddedPostgres({ dataDir });
    database = createDatabase(pg.connectionString, { poolSize: 2 });
    await database.sql.execute(Prisma.sql`
      CREATE TABLE every_type (
        id text PRIMARY KEY, big bigint, int integer, num numeric, dbl double precision, flag boolean,
        at timestamp(3), at_tz timestamptz(3), day date, doc jsonb, scalar_doc jsonb, id_uuid uuid,
        words text[], bigs bigint[], ats timestamp(3)[], ids uuid[], raw bytea, nothing bigint)`);
  });

  afterAll(async () => {
    await database?.close();
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.env.TZ = zone;
  });

  const sql = (): Sql => (database as Database).sql;
  const viaPrisma = (): Sql => sqlOverPrisma((database as Database).prisma);

  const insert = (id: string) => Prisma.sql`
    INSERT INTO every_type (id, big, int, num, dbl, flag, at, at_tz, day, doc, scalar_doc, id_uuid, words, bigs, ats,
                            ids, raw, nothing)
    VALUES (${id}, ${9_007_199_254_740_993n}, ${42}, ${new Prisma.Decimal('12.50')}, ${1.25}, ${true},
            ${new Date('2026-03-01T23:30:00.123Z')}::timestamp, ${new Date('2026-03-01T23:30:00.123Z')}::timestamptz,
            ${'2026-03-01'}::date, ${JSON.stringify({ a: 1, b: [true, null, 'x'] })}::jsonb, ${'"text"'}::jsonb,
            ${'6f1c2e0a-8d4b-4c55-9a7e-1b2c3d4e5f60'}::uuid, ${['a', 'b,c', null]}::text[], ${[1n, 2n]}::bigint[],
            ${['2026-03-01 23:30:00']}::timestamp[], ${['6f1c2e0a-8d4b-4c55-9a7e-1b2c3d4e5f60']}::uuid[],
            ${Buffer.from([0, 1, 254])}, NULL)`;
  const select = (id: string) => Prisma.sql`SELECT * FROM every_type WHERE id = ${id}`;

  it('stores what Prisma stores and returns what Prisma returns, type for type', async () => {
    await viaPrisma().execute(insert('prisma'));
    await sql().execute(insert('pg'));

    const [byPrisma] = await viaPrisma().query(select('prisma'));
    const [bySql] = await sql().query(select('prisma'));
    const [written] = await sql().query(select('pg'));

    expect(bySql).toStrictEqual(byPrisma);
    expect(written).toStrictEqual({ ...byPrisma, id: 'pg' });
    expect(bySql).toMatchObject({
      big: 9_007_199_254_740_993n,
      at: new Date('2026-03-01T23:30:00.123Z'),
      at_tz: new Date('2026-03-01T23:30:00.123Z'),
      day: new Date('2026-03-01T00:00:00Z'),
      bigs: [1n, 2n],
      ats: [new Date('2026-03-01T23:30:00Z')],
      scalar_doc: 'text',
      nothing: null,
    });
  });

  it('counts the rows a statement changed', async () => {
    expect(await sql().execute(Prisma.sql`UPDATE every_type SET flag = false WHERE id IN ('prisma', 'pg')`)).toBe(2);
    expect(await sql().execute(Prisma.sql`UPDATE every_type SET flag = false WHERE id = 'none'`)).toBe(0);
  });

  it("prepares each statement's text once per connection, under a name of its own", async () => {
    const names = await sql().transaction(async (tx) => {
      await tx.query(select('prisma'));
      await tx.query(select('pg'));
      return tx.query<{ name: string }>(
        Prisma.sql`SELECT name FROM pg_prepared_statements WHERE statement = ${select('').text}`,
      );
    });

    expect(names).toHaveLength(1);
    expect(names[0]?.name).toMatch(/^wb_[\w-]{43}$/);
  });

  it('commits a transaction, rolls it back when its work throws, and gives its connection back either way', async () => {
    const id = randomUUID();
    await sql().transaction((tx) => tx.execute(Prisma.sql`INSERT INTO every_type (id) VALUES (${`${id}-kept`})`));
    const failure = await sql()
      .transaction(async (tx) => {
        await tx.execute(Prisma.sql`INSERT INTO every_type (id) VALUES (${`${id}-undone`})`);
        await tx.execute(Prisma.sql`INSERT INTO every_type (id) VALUES (${`${id}-kept`})`);
      })
      .catch((error: unknown) => error);
    // More transactions than connections: a connection kept by an earlier one would block these.
    for (let i = 0; i < 5; i++) {
      await sql()
        .transaction(() => Promise.reject(new Error('work failed')))
        .catch(() => undefined);
    }

    expect(isUniqueViolation(failure)).toBe(true);
    const rows = await sql().query<{ id: string }>(
      Prisma.sql`SELECT id FROM every_type WHERE id LIKE ${`${id}%`} ORDER BY id`,
    );
    expect(rows.map((r) => r.id)).toEqual([`${id}-kept`]);
    expect(database?.pool.totalCount).toBeLessThanOrEqual(2);
    expect(database?.pool.idleCount).toBe(database?.pool.totalCount);
  });

  it('fails a transaction that waits too long for a connection with a retriable DatabaseBusy', async () => {
    const impatient = createSql((database as Database).pool, { transactionMaxWaitMs: 100 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken = 0;
    let bothTaken: () => void = () => undefined;
    const allTaken = new Promise<void>((resolve) => (bothTaken = resolve));
    // Both connections of the pool held by transactions that wait for the test.
    const holders = [0, 1].map(() =>
      sql().transaction(async () => {
        if (++taken === 2) bothTaken();
        await held;
      }),
    );
    await allTaken;

    const failure = await impatient.transaction(() => Promise.resolve()).catch((error: unknown) => error);
    release();
    await Promise.all(holders);

    expect(failure).toBeInstanceOf(DatabaseBusy);
    expect(failure).toMatchObject({ retriable: true });
    expect(await impatient.transaction((tx) => tx.query(Prisma.sql`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
  });

  it('ends a transaction left idle past its limit: rolled back, its connection not reused, the failure retriable', async () => {
    const hasty = createSql((database as Database).pool, { transactionIdleTimeoutMs: 300 });
    const id = `idle-${Date.now()}`;
    const failure = await hasty
      .transaction(async (tx) => {
        await tx.execute(Prisma.sql`INSERT INTO every_type (id) VALUES (${id})`);
        // Stalled past the limit: PostgreSQL ends the session.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await tx.query(Prisma.sql`SELECT 1 AS one`);
      })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ retriable: true });
    expect(await sql().query(Prisma.sql`SELECT id FROM every_type WHERE id = ${id}`)).toEqual([]);
    expect(await hasty.transaction((tx) => tx.query(Prisma.sql`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
  });

  it('refuses a transaction inside a transaction', async () => {
    await expect(sql().transaction((tx) => tx.transaction(() => Promise.resolve(1)))).rejects.toThrow(
      /inside a transaction/,
    );
  });

  it('fails statements and transactions with a retriable DatabaseUnavailable once PostgreSQL is down', async () => {
    await pg?.stop();
    pg = undefined;

    const failures = await Promise.all(
      [() => sql().query(Prisma.sql`SELECT 1`), () => sql().transaction((tx) => tx.execute(Prisma.sql`SELECT 1`))].map(
        (run) => run().catch((error: unknown) => error),
      ),
    );

    for (const failure of failures) {
      expect(failure).toBeInstanceOf(DatabaseUnavailable);
      expect(failure).toMatchObject({ code: 'DATABASE.UNAVAILABLE', retriable: true });
    }
  });
});
