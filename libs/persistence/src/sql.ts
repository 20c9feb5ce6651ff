import type { Prisma, PrismaClient } from './generated/prisma/client';

/**
 * Plain SQL for a service's hot path: one statement (a `Prisma.sql` template) per call, its rows
 * back, no ORM model in between. Failures arrive classified (`classifyDatabaseError`). Stores
 * take this, not a PrismaClient, so that what runs their statements can change without them.
 */
export interface Sql {
  /** Runs one statement and returns its rows. */
  query<T = Record<string, unknown>>(statement: Prisma.Sql): Promise<T[]>;
  /** Runs one statement and returns how many rows it changed. */
  execute(statement: Prisma.Sql): Promise<number>;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

const noNesting = (): never => {
  throw new Error('a transaction inside a transaction is not supported');
};

type Raw = Pick<Prisma.TransactionClient, '$queryRaw' | '$executeRaw'>;

function over(db: Raw, transaction: Sql['transaction']): Sql {
  return {
    query: <T>(statement: Prisma.Sql) => db.$queryRaw<T[]>(statement),
    execute: (statement) => db.$executeRaw(statement),
    transaction,
  };
}

/**
 * `Sql` through a PrismaClient's raw queries (whose failures it already classifies), or through
 * an interactive transaction's, which cannot open another.
 */
export function sqlOverPrisma(prisma: PrismaClient | Prisma.TransactionClient): Sql {
  if (!('$transaction' in prisma)) return over(prisma, noNesting);
  const transaction: Sql['transaction'] = (work) => prisma.$transaction((tx) => work(over(tx, noNesting)));
  return over(prisma, transaction);
}
