import { setFlagsFromString } from 'node:v8';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolConfig } from 'pg';
import { classifyDatabaseError } from './database-errors';
import { PrismaClient } from './generated/prisma/client';
import { createSql } from './pg-sql';
import type { Sql } from './sql';

/**
 * A PrismaClient for `connectionString` over node-postgres (`@prisma/adapter-pg`); no native
 * query engine. A `?schema=name` parameter selects the Postgres schema, as with Prisma's CLI.
 * The caller owns the client: call `$disconnect()` on shutdown.
 */
export interface PrismaClientOptions {
  /** Connections in node-postgres' pool (default 10, pg's own default). */
  poolSize?: number;
  /** How long an interactive transaction may wait for a connection before failing (P2028). */
  transactionMaxWaitMs?: number;
  /** How long opening a connection may take; default: no limit (node-postgres' default). */
  connectTimeoutMs?: number;
}

/**
 * Prisma's query compiler is a 4.5 MB WebAssembly module. V8 compiles it with its baseline
 * compiler (Liftoff) and then recompiles the functions it finds hot with its optimising one
 * (TurboFan), which holds about 50 MiB more per process. Our hot statements are raw SQL, so the
 * compiler's own CPU is under 1% of any service's in the CPU profiles: the baseline code is
 * enough. Set before the module is first compiled (on the client's first query); process-wide,
 * and it only concerns WebAssembly (ADR 0014).
 */
function compileWebAssemblyWithBaselineOnly(): void {
  setFlagsFromString('--liftoff-only');
}

/** Prisma's `?schema=` parameter of a connection string, if any. */
function schemaOf(connectionString: string): string | undefined {
  try {
    return new URL(connectionString).searchParams.get('schema') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The node-postgres pool for `connectionString`, with the pool size and connect timeout of
 * `options`. (node-postgres ignores the `?schema=` parameter; Prisma's adapter applies it.)
 * An idle connection that fails is dropped by the pool; without a listener its error would end
 * the process.
 */
export function createPool(connectionString: string, options: PrismaClientOptions = {}): Pool {
  const pool = new Pool(createPoolConfig(connectionString, options));
  pool.on('error', () => undefined);
  return pool;
}

function createPoolConfig(connectionString: string, options: PrismaClientOptions): PoolConfig {
  return {
    connectionString,
    max: options.poolSize ?? 10,
    ...(options.connectTimeoutMs ? { connectionTimeoutMillis: options.connectTimeoutMs } : {}),
  };
}

/**
 * A PrismaClient over `pool`, or over a pool of its own for a connection string. A client on a
 * given pool leaves it open on `$disconnect()`: the pool's owner ends it.
 */
export function createPrismaClient(
  connection: string | { pool: Pool; connectionString: string },
  options: PrismaClientOptions = {},
): PrismaClient {
  compileWebAssemblyWithBaselineOnly();
  const connectionString = typeof connection === 'string' ? connection : connection.connectionString;
  const schema = schemaOf(connectionString);
  const adapter = new PrismaPg(
    typeof connection === 'string' ? createPoolConfig(connectionString, options) : connection.pool,
    schema === undefined ? undefined : { schema },
  );
  const client = new PrismaClient({
    adapter,
    transactionOptions: { maxWait: options.transactionMaxWaitMs ?? 5_000 },
  });
  return classifyingErrors(client);
}

/**
 * A service's database: ONE node-postgres pool, shared by a PrismaClient (models, migrations'
 * companions, the cold paths) and `Sql` (the hot path's prepared statements), so the two do not
 * double the service's connections (ADR 0022). `close()` disconnects Prisma and ends the pool.
 */
export interface Database {
  pool: Pool;
  prisma: PrismaClient;
  sql: Sql;
  close(): Promise<void>;
}

export function createDatabase(connectionString: string, options: PrismaClientOptions = {}): Database {
  const pool = createPool(connectionString, options);
  const prisma = createPrismaClient({ pool, connectionString }, options);
  let closing: Promise<void> | undefined;
  return {
    pool,
    prisma,
    sql: createSql(pool, options),
    close: () =>
      (closing ??= (async () => {
        await prisma.$disconnect();
        await pool.end();
      })()),
  };
}

const rethrowClassified = (error: unknown): never => {
  throw classifyDatabaseError(error);
};

/**
 * The same client, whose failures are classified where they arise (`classifyDatabaseError`):
 * every query (also inside an interactive transaction) through a query extension, and
 * `$transaction` itself, whose start fails before any query when the database is away. The
 * extension adds no method, so the client keeps PrismaClient's type.
 */
function classifyingErrors(client: PrismaClient): PrismaClient {
  const extended = client.$extends({
    query: {
      $allOperations: ({ args, query }) => query(args).catch(rethrowClassified),
    },
  }) as unknown as PrismaClient;
  return new Proxy(extended, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property !== '$transaction' || typeof value !== 'function') return value;
      return (...args: unknown[]): Promise<unknown> =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(rethrowClassified);
    },
  });
}
