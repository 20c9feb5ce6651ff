import { randomUUID } from 'node:crypto';
import { envelope, type EventEnvelope } from '@writeback/contracts';
import type { PrismaClient } from '@writeback/persistence';
import type { OutboxRelay } from '@writeback/messaging';
import { startMigratedDatabase, type MigratedDatabase } from '@writeback/testing';
import { decidePasswordWrite } from '@writeback/domain';
import { EXECUTOR_PRODUCER, OutcomesRepository } from './outcomes.repository';

jest.setTimeout(60_000);

/** The claim against a real PostgreSQL: the one compare-and-set that decides who acts (ADR 0011). */
describe('OutcomesRepository', () => {
  let database: MigratedDatabase | undefined;
  let sut: OutcomesRepository;

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-outcomes', { poolSize: 2 });
    // The relay is only woken after a commit here; what it would publish is read from the outbox.
    sut = new OutcomesRepository(database.sql, { kick: () => undefined } as unknown as OutboxRelay);
  });

  afterAll(() => database?.stop());

  function db(): PrismaClient {
    if (!database) throw new Error('PostgreSQL not started');
    return database.prisma;
  }

  /** The gate's insert, as policy-gate makes it when it accepts a request. */
  async function accepted(deadlineSeconds: number, state = 'pending'): Promise<string> {
    const operationId = randomUUID();
    await db().$executeRaw`
      INSERT INTO operation_deadlines (operation_id, deadline, state)
      VALUES (${operationId}::uuid, now() + make_interval(secs => ${deadlineSeconds}), ${state})`;
    return operationId;
  }

  /** What the handler does before a password write: keep the count, then decide on it. */
  const passwordWrite = async (operationId: string, dn: string, version: number | null) =>
    decidePasswordWrite({ dn, version }, await sut.keepPasswordVersion(operationId, dn, version));

  const stateOf = async (operationId: string): Promise<string | undefined> =>
    (await db().operationDeadline.findUnique({ where: { operationId } }))?.state;

  it('refuses a command whose operation the gate never accepted (no deadline row), and creates none', async () => {
    const forged = randomUUID();

    expect(await sut.claim(forged)).toBe('unknown');
    expect(await stateOf(forged)).toBeUndefined();
  });

  it('claims a pending operation before its deadline, and lets a later try of the same operation go on', async () => {
    const operationId = await accepted(60);

    expect(await sut.claim(operationId)).toBe('claimed');
    expect(await sut.claim(operationId)).toBe('claimed');
    expect(await stateOf(operationId)).toBe('claimed');
  });

  it('refuses an operation whose deadline passed, whether or not the gate has expired it yet', async () => {
    const due = await accepted(-1);
    const expired = await accepted(-1, 'expired');
    const closed = await accepted(60, 'closed');

    expect(await sut.claim(due)).toBe('expired');
    expect(await sut.claim(expired)).toBe('expired');
    expect(await sut.claim(closed)).toBe('expired');
    expect(await stateOf(due)).toBe('pending');
  });

  it('records an outcome and queues its event together, once, and forgets the pre-write count', async () => {
    const operationId = await accepted(60);
    const outcome = (failedAt: string): EventEnvelope =>
      envelope(
        {
          type: 'WritebackFailed',
          version: 1,
          data: {
            operationId,
            domainId: 'corp',
            targetUpn: 'ada@corp.example.test',
            reason: { code: 'AD.PASSWORD_POLICY', message: 'too short' },
            attempts: 1,
            failedAt,
          },
        },
        { correlationId: operationId },
      );
    expect(await passwordWrite(operationId, 'CN=Ada,DC=corp', 3)).toBe('write');
    const first = outcome(new Date().toISOString());

    await sut.record(operationId, 'corp', first);
    await sut.record(operationId, 'corp', outcome(new Date(Date.now() + 1000).toISOString()));

    expect(await sut.find(operationId)).toEqual(first);
    const queued = (await db().outboxMessage.findMany({ where: { producer: EXECUTOR_PRODUCER } }))
      .map((m) => JSON.parse(m.value) as EventEnvelope)
      .filter((e) => e.correlationId === operationId);
    expect(queued).toEqual([first]);
    expect(await db().executorWrite.findUnique({ where: { operationId } })).toBeNull();
  });

  it('keeps the count seen before the first write, and skips a later try once the count rose', async () => {
    const operationId = randomUUID();
    const kept = async () => db().executorWrite.findUnique({ where: { operationId } });

    expect(await passwordWrite(operationId, 'CN=Ada,DC=corp', null)).toBe('write');
    expect(await kept()).toBeNull();
    expect(await passwordWrite(operationId, 'CN=Ada,DC=corp', 3)).toBe('write');
    // A try that finds the count unchanged writes, and keeps the first count.
    expect(await passwordWrite(operationId, 'CN=Ada,DC=corp', 3)).toBe('write');
    expect(await kept()).toMatchObject({ userDn: 'CN=Ada,DC=corp', versionBefore: 3 });
    // The count rose: the earlier try's write reached the DC.
    expect(await passwordWrite(operationId, 'CN=Ada,DC=corp', 4)).toBe('skip');
    expect(await kept()).toMatchObject({ versionBefore: 3 });
    // Another user under that operation (the account was renamed or moved): counted afresh.
    expect(await passwordWrite(operationId, 'CN=Ada,OU=Moved,DC=corp', 7)).toBe('write');
    expect(await kept()).toMatchObject({ userDn: 'CN=Ada,OU=Moved,DC=corp', versionBefore: 7 });
    expect(await passwordWrite(operationId, 'CN=Ada,OU=Moved,DC=corp', 8)).toBe('skip');
  });
});
