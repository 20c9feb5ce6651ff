import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

/**
 * A PrismaClient for `connectionString` over node-postgres (`@prisma/adapter-pg`); no native
 * query engine. A `?schema=name` parameter selects the Postgres schema, as with Prisma's CLI.
 * The caller owns the client: call `$disconnect()` on shutdown.
 */
export function createPrismaClient(connectionString: string): PrismaClient {
  let schema: string | undefined;
  try {
    schema = new URL(connectionString).searchParams.get('schema') ?? undefined;
  } catch {
    schema = undefined;
  }
  const adapter = new PrismaPg({ connectionString }, schema === undefined ? undefined : { schema });
  return new PrismaClient({ adapter });
}
