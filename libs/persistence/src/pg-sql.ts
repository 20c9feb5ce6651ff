import { createHash } from 'node:crypto';
import { types, type CustomTypesConfig, type Pool, type PoolClient, type QueryConfig } from 'pg';
import { classifyDatabaseError, DatabaseBusy } from './database-errors';
import { Prisma } from './generated/prisma/client';
import type { Sql } from './sql';

/**
 * Statement names one pool hands out at most. Each distinct text is parsed and kept by every
 * connection that runs it, for the connection's life; a caller that built texts from data
 * (`Prisma.raw`, a `Prisma.join` of a varying length) would grow that without end, so beyond
 * this many texts statements run unnamed (parsed each time, as Prisma runs them).
 */
const MAX_NAMED_STATEMENTS = 1_000;

/**
 * PostgreSQL keeps 63 bytes of a name (NAMEDATALEN − 1) and cuts the rest off silently, so two
 * long names could meet as one: `wb_` and 43 characters of base64url SHA-256 stay under it.
 */
const statementName = (text: string): string => `wb_${createHash('sha256').update(text).digest('base64url')}`;

type Parse = (text: string) => unknown;

/** The text parser of `text[]`: elements as strings (NULL as null), nested for several dimensions. */
const TEXT_ARRAY = 1009;
const textArray = types.getTypeParser(TEXT_ARRAY as never) as (text: string) => unknown[];

const eachElement =
  (parse: Parse): Parse =>
  (text) => {
    const map = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(map) : value === null ? null : parse(value as string);
    return map(textArray(text));
  };

const byteaParser = types.getTypeParser(types.builtins.BYTEA) as (text: string) => Buffer;
const bytes: Parse = (text) => {
  const buffer = byteaParser(text);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
};
/** Our `timestamp` columns hold UTC without a zone; node-postgres would read them as local time. */
const utcTimestamp: Parse = (text) => new Date(`${text.replace(' ', 'T')}Z`);
const utcDate: Parse = (text) => new Date(`${text}T00:00:00Z`);
const decimal: Parse = (text) => new Prisma.Decimal(text);

/**
 * Values as `$queryRaw` over `@prisma/adapter-pg` returns them, where node-postgres' defaults
 * differ: int8 and oid as bigint, numeric as Prisma's Decimal, `timestamp` and `date` as UTC
 * Dates, bytea as a Uint8Array, and arrays of each alike. Per query, so the process-wide
 * parsers (which Prisma's adapter and the PostgreSQL bus rely on) stay as they are.
 */
const PARSERS: Record<number, Parse> = {
  20: BigInt,
  26: BigInt,
  1016: eachElement(BigInt),
  1028: eachElement(BigInt),
  1700: decimal,
  1231: eachElement(decimal),
  1114: utcTimestamp,
  1115: eachElement(utcTimestamp),
  1082: utcDate,
  1182: eachElement(utcDate),
  17: bytes,
  1001: eachElement(bytes),
};

const builtinParser = types.getTypeParser as (oid: number, format?: string) => Parse;
const AS_PRISMA_RETURNS = {
  getTypeParser: (oid: number, format?: string): Parse =>
    (format !== 'binary' && PARSERS[oid]) || builtinParser(oid, format),
} as CustomTypesConfig;

/**
 * Parameters as Prisma sends them: a Date as its instant (ISO 8601 in UTC, which a `timestamp`
 * cast reads without the zone and a `timestamptz` one with it; node-postgres would send local
 * time), a Decimal as its digits (node-postgres would send it as a JSON string).
 */
function parameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Prisma.Decimal.isDecimal(value)) return value.toString();
  if (Array.isArray(value)) return value.map(parameter);
  return value;
}

type Queryable = Pick<Pool | PoolClient, 'query'>;

const rethrowClassified = (error: unknown): never => {
  throw classifyDatabaseError(error);
};

const noNesting = (): never => {
  throw new Error('a transaction inside a transaction is not supported');
};

/**
 * A connection of the pool for a transaction, waited for at most `maxWaitMs` (Prisma's `maxWait`
 * for an interactive transaction): a burst beyond the pool then fails as DatabaseBusy, which
 * callers answer with a retry or a 503, instead of queueing without end.
 */
async function checkout(pool: Pool, maxWaitMs: number): Promise<PoolClient> {
  const connecting = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseBusy(`no database connection came free within ${maxWaitMs} ms`)),
      maxWaitMs,
    );
  });
  try {
    return await Promise.race([connecting, timedOut]);
  } catch (error) {
    // The connection that comes too late goes back to the pool.
    connecting.then(
      (client) => client.release(),
      () => undefined,
    );
    throw classifyDatabaseError(error);
  } finally {
    clearTimeout(timer);
  }
}

export interface SqlOptions {
  /** How long a transaction may wait for a connection before failing with DatabaseBusy (default 5 s). */
  transactionMaxWaitMs?: number;
  /**
   * How long a transaction may sit idle between its statements (a caller stalled mid-work)
   * before PostgreSQL ends its session, rolling it back and freeing its locks (default 60 s, as
   * long as the outbox relay's transactions were allowed under Prisma).
   */
  transactionIdleTimeoutMs?: number;
}

/**
 * `Sql` over a node-postgres pool, without Prisma's client in between: each statement is a
 * named prepared statement (named after its text), so a connection parses and plans a
 * statement's text once and then only binds and executes it. The pool may be the one Prisma's
 * adapter uses (`createDatabase`): both take connections from it and give them back.
 */
export function createSql(pool: Pool, options: SqlOptions = {}): Sql {
  const maxWaitMs = options.transactionMaxWaitMs ?? 5_000;
  const idleTimeoutMs = Math.max(1, Math.floor(options.transactionIdleTimeoutMs ?? 60_000));
  // One round trip: the transaction and its own limit, gone with it.
  const begin = `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${idleTimeoutMs}`;
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
      name = statementName(text);
      names.set(text, name);
    }
    return name;
  };
  const run = (db: Queryable, statement: Prisma.Sql) => {
    const config: QueryConfig = {
      name: nameOf(statement.text),
      text: statement.text,
      values: statement.values.map(parameter),
      types: AS_PRISMA_RETURNS,
    };
    return db.query(config).catch(rethrowClassified);
  };
  const over = (db: Queryable, transaction: Sql['transaction']): Sql => ({
    query: async <T>(statement: Prisma.Sql) => (await run(db, statement)).rows as T[],
    execute: async (statement) => (await run(db, statement)).rowCount ?? 0,
    transaction,
  });

  const transaction: Sql['transaction'] = async (work) => {
    const client = await checkout(pool, maxWaitMs);
    // A connection that fails while checked out reports here too; its query rejects already.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await work(over(client, noNesting));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection whose transaction cannot be ended is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
        broken = rollbackFailed;
      });
      throw classifyDatabaseError(error);
    } finally {
      client.removeListener('error', ignore);
      client.release(broken);
    }
  };
  return over(pool, transaction);
}
