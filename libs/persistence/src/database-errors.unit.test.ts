import { classifyDatabaseError, DatabaseBusy, DatabaseUnavailable } from './database-errors';

/** An error shaped as Prisma's driver adapter reports a node-postgres failure. */
const prismaError = (code: string, cause?: Record<string, unknown>): Error =>
  Object.assign(new Error(`prisma ${code}`), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: cause ? { driverAdapterError: { name: 'DriverAdapterError', cause } } : {},
  });

describe('classifyDatabaseError', () => {
  it('classifies an unreachable or closing database as retriable DATABASE.UNAVAILABLE, keeping the cause', () => {
    for (const failure of [
      prismaError('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }),
      prismaError('P2010', { kind: 'DatabaseNotReachable' }),
      prismaError('P2010', { kind: 'ConnectionClosed' }),
      prismaError('P2010', { kind: 'postgres', originalCode: '57P01' }),
      prismaError('P1017'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('init'), { name: 'PrismaClientInitializationError' }),
    ]) {
      const classified = classifyDatabaseError(failure);
      expect(classified).toBeInstanceOf(DatabaseUnavailable);
      expect(classified).toMatchObject({ code: 'DATABASE.UNAVAILABLE', retriable: true, cause: failure });
    }
  });

  it('classifies an exhausted pool, a transaction start timeout and a lost race as retriable DATABASE.BUSY', () => {
    for (const failure of [
      prismaError('P2024'),
      prismaError('P2028'),
      prismaError('P2034'),
      prismaError('P2010', { kind: 'TooManyConnections' }),
      prismaError('P2010', { kind: 'postgres', originalCode: '40001' }),
      Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      // node-postgres' pool, when no connection came free in time.
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(classifyDatabaseError(failure)).toBeInstanceOf(DatabaseBusy);
    }
  });

  it("returns anything else unchanged for its caller to judge: a unique violation, a bad query, a caller's own error", () => {
    const unique = prismaError('P2002');
    const rawUnique = prismaError('P2010', { kind: 'UniqueConstraintViolation' });
    const syntax = prismaError('P2010', { kind: 'postgres', originalCode: '42601' });
    const own = new TypeError('bug');
    for (const failure of [unique, rawUnique, syntax, own, 'text']) {
      expect(classifyDatabaseError(failure)).toBe(failure);
    }
  });

  it('never copies the failing query or its values into its message', () => {
    const failure = prismaError('P2010', { kind: 'ConnectionClosed' });
    failure.message = "INSERT … VALUES ('secret')";
    expect((classifyDatabaseError(failure) as Error).message).not.toContain('secret');
  });
});
