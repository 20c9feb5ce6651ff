import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

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
}

export function createPrismaClient(connectionString: string, options: PrismaClientOptions = {}): PrismaClient {
  let schema: string | undefined;
  try {
    schema = new URL(connectionString).searchParams.get('schema') ?? undefined;
  } catch {
    schema = undefined;
  }
  const adapter = new PrismaPg(
    { connectionString, max: options.poolSize ?? 10 },
    schema === undefined ? undefined : { schema },
  );
  return new PrismaClient({
    adapter,
    transactionOptions: { maxWait: options.transactionMaxWaitMs ?? 5_000 },
  });
}
