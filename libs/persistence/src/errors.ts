import { DatabaseError } from 'pg';
import { DatabaseBusy } from './database-errors';
import { Prisma } from './generated/prisma/client';

/**
 * True for PostgreSQL's unique-key violation (23505) as Prisma reports it (`P2002` from a model
 * query, `P2010` with the driver adapter's cause from a raw one) or as node-postgres does under
 * `Sql` (its SQLSTATE as `code`). Writers that append on an optimistic read use it to tell
 * "someone else took that key first, read again" from a failure.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) {
    return error instanceof DatabaseError && error.code === '23505';
  }
  if (error.code === 'P2002') return true;
  return error.code === 'P2010' && /23505|UniqueConstraintViolation/.test(JSON.stringify(error.meta ?? {}));
}

/**
 * Runs `attempt` again while it loses a race for a unique key, up to `attempts` times in all;
 * any other error is thrown as it is, and the last loss as a retriable DatabaseBusy (the race
 * is worth running again later, e.g. when the message is delivered again).
 */
export async function retryOnUniqueViolation<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (tries >= attempts) {
        throw new DatabaseBusy(`lost the race for a unique key ${tries} times in a row`, { cause: error });
      }
    }
  }
}
