import { WritebackError } from '@writeback/contracts';

/**
 * PostgreSQL out of reach, restarting or refusing connections: the work is fine, the database
 * is not, so it is tried again later. The message names no value of the query.
 */
export class DatabaseUnavailable extends WritebackError {
  readonly code = 'DATABASE.UNAVAILABLE';
  readonly retriable = true;
}

/** Every pooled connection busy (a burst beyond the pool), or a transaction lost a race. */
export class DatabaseBusy extends WritebackError {
  readonly code = 'DATABASE.BUSY';
  readonly retriable = true;
}

/** Prisma's codes for a database it cannot reach or that closed on it. */
const UNREACHABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
/** Pool timeout, transaction start timeout, write conflict or deadlock. */
const BUSY_PRISMA_CODES = new Set(['P2024', 'P2028', 'P2034']);
/** `@prisma/adapter-pg`'s kinds of a connection-level failure. */
const UNREACHABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
const BUSY_ADAPTER_KINDS = new Set(['TooManyConnections', 'TransactionWriteConflict']);
/** Node's errors of a socket that could not connect or was cut. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** SQLSTATEs of a server going away (class 08, 57P0x) or too busy (53300, 40001, 40P01). */
function sqlStateKind(state: string): 'unavailable' | 'busy' | undefined {
  if (state.startsWith('08') || /^57P0[1-3]$/.test(state)) return 'unavailable';
  if (state === '53300' || state === '40001' || state === '40P01') return 'busy';
  return undefined;
}

interface AdapterCause {
  kind?: unknown;
  originalCode?: unknown;
}

function kindOf(error: unknown): 'unavailable' | 'busy' | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, meta, name, message } = error as { code?: unknown; meta?: unknown; name?: unknown; message?: unknown };
  if (name === 'PrismaClientInitializationError') return 'unavailable';
  if (typeof code === 'string') {
    if (UNREACHABLE_PRISMA_CODES.has(code) || SOCKET_ERRORS.has(code)) return 'unavailable';
    if (BUSY_PRISMA_CODES.has(code)) return 'busy';
    const state = sqlStateKind(code);
    if (state) return state;
  }
  const cause = (meta as { driverAdapterError?: { cause?: AdapterCause } } | undefined)?.driverAdapterError?.cause;
  if (typeof cause?.kind === 'string') {
    if (UNREACHABLE_ADAPTER_KINDS.has(cause.kind)) return 'unavailable';
    if (BUSY_ADAPTER_KINDS.has(cause.kind)) return 'busy';
    if (typeof cause.originalCode === 'string') return sqlStateKind(cause.originalCode);
  }
  if (typeof message === 'string') {
    // node-postgres' own words for a connection the server closed under it,
    if (/^Connection terminated|^Client has encountered a connection error/.test(message)) return 'unavailable';
    // and its pool's for a wait for a free connection that ran out (Prisma's P2024).
    if (/^timeout exceeded when trying to connect/.test(message)) return 'busy';
  }
  return undefined;
}

/**
 * Classifies a failure of Prisma or node-postgres once, where the database is called: a
 * connection-level or overload failure becomes a retriable Writeback error (the original as its
 * `cause`); anything else (a constraint, a bad query) is returned unchanged for its caller to
 * judge, e.g. a unique violation that means "someone else wrote first".
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof WritebackError) return error;
  switch (kindOf(error)) {
    case 'unavailable':
      return new DatabaseUnavailable('the database is unreachable or closed the connection', { cause: error });
    case 'busy':
      return new DatabaseBusy('the database is busy (pool exhausted, or a transaction lost a race)', { cause: error });
    case undefined:
      return error;
  }
}
