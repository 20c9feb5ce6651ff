import { randomUUID } from 'node:crypto';
import {
  envelope,
  OperationQuery,
  type EventEnvelope,
  type OperationPage,
  type SealedCredential,
  type WritebackRequest,
} from '@writeback/contracts';
import { decide, type OperationState } from '@writeback/domain';
import type { PrismaClient } from '@writeback/persistence';
import { startMigratedDatabase, type MigratedDatabase } from '@writeback/testing';
import { createLogger } from '@writeback/observability';
import { eventMessage } from '@writeback/messaging';
import { Writable } from 'node:stream';
import { OperationChanges } from './operation-changes';
import { GATE_PRODUCER, OperationsRepository, type Appended } from './operations.repository';
import { WaiterSweep } from './waiter-sweep';

jest.setTimeout(60_000);

const quietLogger = createLogger(
  'operations-test',
  new Writable({
    write: (_chunk, _encoding, done) => done(),
  }),
);

const UPN = 'alice@corp.example.test';
const request: WritebackRequest = {
  kind: 'self-service-reset',
  channel: 'sspr-portal',
  initiator: { id: UPN, isAdministrator: false },
  target: { userPrincipalName: UPN, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
};
const caller = { subject: 'sspr-frontend', issuer: 'https://login.example.test/' };
const credential: SealedCredential = { keyId: 'k1', enc: 'ZW5j', ciphertext: 'b3BhcXVl' };
const corp = {
  id: 'corp',
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: false,
  policy: { refuse: [], allow: [], allowWidening: false },
};

/**
 * The gate's event store against a real PostgreSQL: one statement per append, the stream's
 * sequence key as the concurrency check, and the projection it hands back equal to a fresh read.
 */
describe('OperationsRepository', () => {
  let database: MigratedDatabase | undefined;
  let sut: OperationsRepository;

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-operations', { poolSize: 8 });
    sut = new OperationsRepository(database.prisma, new OperationChanges());
  });

  afterAll(() => database?.stop());

  function db(): PrismaClient {
    if (!database) throw new Error('PostgreSQL not started');
    return database.prisma;
  }

  const ctx = (operationId: string) => ({ correlationId: operationId });

  /**
   * Records a request undecided, as the gate's edge did before ADR 0016 (and a decision's tests
   * need): new stream, sealed password, deadline, outbox.
   */
  async function requested(
    deadlineMs = 60_000,
  ): Promise<{ operationId: string; events: EventEnvelope[]; appended: Appended | null }> {
    const operationId = randomUUID();
    const events = decide(
      {
        type: 'RequestWriteback',
        operationId,
        request,
        caller,
        routing: 'resolved',
        domainId: 'corp',
        now: new Date().toISOString(),
      },
      { status: 'initial' },
    ).map((e) => envelope(e, ctx(operationId)));
    const appended = await sut.append(operationId, events, {
      sealed: { domainId: 'corp', credential },
      outbox: events.map(eventMessage),
      deadlineMs,
      newStream: true,
    });
    return { operationId, events, appended };
  }

  const sequences = async (operationId: string): Promise<number[]> =>
    (await db().operationEvent.findMany({ where: { operationId }, orderBy: { sequence: 'asc' } })).map(
      (e) => e.sequence,
    );
  const deadlineState = async (operationId: string): Promise<string | undefined> =>
    (await db().operationDeadline.findUnique({ where: { operationId } }))?.state;
  const hasSealed = async (operationId: string): Promise<boolean> =>
    (await db().sealedCredential.findUnique({ where: { operationId } })) !== null;
  const outboxed = async (operationId: string): Promise<string[]> =>
    (await db().outboxMessage.findMany({ where: { producer: GATE_PRODUCER }, orderBy: { id: 'asc' } }))
      .map((m) => JSON.parse(m.value) as EventEnvelope)
      .filter((e) => e.correlationId === operationId)
      .map((e) => e.type);

  function approval(operationId: string, state: OperationState): EventEnvelope[] {
    return decide({ type: 'DecideWriteback', domain: corp, now: new Date().toISOString() }, state).map((e) =>
      envelope(e, ctx(operationId)),
    );
  }

  function expiry(operationId: string) {
    return (state: OperationState) =>
      decide({ type: 'ExpireWriteback', now: new Date().toISOString() }, state).map((e) =>
        envelope(e, ctx(operationId)),
      );
  }

  it('records a request in one go: the view it answers with is what a later read returns', async () => {
    const before = Date.now();

    const { operationId, appended } = await requested();

    expect(appended?.state.status).toBe('requested');
    expect(appended?.view).toEqual(await sut.view(operationId));
    expect(appended?.view).toMatchObject({
      status: 'requested',
      targetUpn: UPN,
      domainId: 'corp',
      caller,
      completedAt: null,
    });
    // Stored and read back in UTC, whatever the session's time zone.
    expect(Math.abs(Date.parse(appended?.view?.createdAt ?? '') - before)).toBeLessThan(60_000);
    expect(await sequences(operationId)).toEqual([1]);
    expect(await deadlineState(operationId)).toBe('pending');
    expect((await sut.load(operationId)).sealed).toEqual(credential);
    expect(await outboxed(operationId)).toEqual(['PasswordChangeRequested']);
  });

  it('records a redelivered event once, and says so by returning null', async () => {
    const { operationId, events } = await requested();
    const eventId = events[0]?.eventId ?? '';

    expect(await sut.append(operationId, events)).toBeNull();
    // This process appended it; another replica did not, and its append writes nothing either.
    expect(sut.appendedHere(eventId)).toBe(true);
    expect(sut.appendedHere(randomUUID())).toBe(false);
    const otherReplica = new OperationsRepository(db(), new OperationChanges());
    expect(otherReplica.appendedHere(eventId)).toBe(false);
    expect(await otherReplica.append(operationId, events)).toBeNull();
    expect(await sequences(operationId)).toEqual([1]);
  });

  it('writes a decision with its messages, and drops one whose stream moved on (a deadline ended it first)', async () => {
    const approvedOne = await requested();
    const loaded = await sut.load(approvedOne.operationId);
    const decision = approval(approvedOne.operationId, loaded.state);
    const appended = await sut.appendDecision(
      approvedOne.operationId,
      loaded.stream,
      decision,
      decision.map(eventMessage),
    );
    expect(appended?.view?.status).toBe('approved');
    expect(await outboxed(approvedOne.operationId)).toEqual(['PasswordChangeRequested', 'WritebackApproved']);

    const expiredOne = await requested(-1_000);
    const stale = await sut.load(expiredOne.operationId);
    expect(await sut.expire(expiredOne.operationId, expiry(expiredOne.operationId), (e) => e.map(eventMessage))).toBe(
      true,
    );
    const late = approval(expiredOne.operationId, stale.state);

    expect(await sut.appendDecision(expiredOne.operationId, stale.stream, late, late.map(eventMessage))).toBeNull();
    expect((await sut.view(expiredOne.operationId))?.status).toBe('failed');
    expect(await sequences(expiredOne.operationId)).toEqual([1, 2]);
    expect(await outboxed(expiredOne.operationId)).toEqual(['PasswordChangeRequested', 'WritebackFailed']);
  });

  it('lists operations newest first by domain, status, reason, user and time, a page at a time', async () => {
    const since = new Date();
    const waiting = await requested();
    const approvedOne = await requested();
    const loaded = await sut.load(approvedOne.operationId);
    const decision = approval(approvedOne.operationId, loaded.state);
    await sut.appendDecision(approvedOne.operationId, loaded.stream, decision, decision.map(eventMessage));
    const expiredOne = await requested(-1_000);
    await sut.expire(expiredOne.operationId, expiry(expiredOne.operationId), (e) => e.map(eventMessage));
    const list = async (filter: Partial<OperationQuery>): Promise<string[]> =>
      (await sut.list({ since, limit: 50, ...filter })).items.map((o) => o.operationId);

    const all = await sut.list({ since, limit: 50 });

    expect(new Set(all.items.map((o) => o.operationId))).toEqual(
      new Set([waiting.operationId, approvedOne.operationId, expiredOne.operationId]),
    );
    const newestFirst = [...all.items].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || b.operationId.localeCompare(a.operationId),
    );
    expect(all.items).toEqual(newestFirst);
    expect(all.nextCursor).toBeNull();
    expect(all.items.find((o) => o.operationId === expiredOne.operationId)).toMatchObject({
      status: 'failed',
      reason: { code: 'OPERATION.DEADLINE_EXCEEDED' },
      domainId: 'corp',
    });
    expect(await list({ status: 'failed' })).toEqual([expiredOne.operationId]);
    expect(await list({ status: 'approved' })).toEqual([approvedOne.operationId]);
    expect(await list({ reasonCode: 'OPERATION.DEADLINE_EXCEEDED' })).toEqual([expiredOne.operationId]);
    expect(await list({ domainId: 'fabrikam' })).toEqual([]);
    expect(await list({ targetUpn: UPN.toUpperCase() })).toHaveLength(3);
    expect(await list({ since: new Date(Date.now() + 60_000) })).toEqual([]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: OperationPage = await sut.list(
        OperationQuery.parse({ since: since.toISOString(), limit: '1', ...(cursor ? { cursor } : {}) }),
      );
      paged.push(...page.items.map((o) => o.operationId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.items.map((o) => o.operationId));
  });

  it('ends an operation: completedAt set once, sealed password gone, deadline closed', async () => {
    const { operationId } = await requested();
    const loaded = await sut.load(operationId);
    const decision = approval(operationId, loaded.state);
    await sut.appendDecision(operationId, loaded.stream, decision, decision.map(eventMessage));
    const applied: EventEnvelope = envelope(
      {
        type: 'WritebackApplied',
        version: 1,
        data: {
          operationId,
          domainId: 'corp',
          targetUpn: UPN,
          domainController: 'dc1.corp.example.test',
          actions: ['password'],
          policyHintsUsed: true,
          appliedAt: new Date().toISOString(),
        },
      },
      ctx(operationId),
    );

    const ended = await sut.append(operationId, [applied]);
    const completedAt = ended?.view?.completedAt;
    expect(ended?.view).toEqual(await sut.view(operationId));
    expect(completedAt).not.toBeNull();
    expect(await hasSealed(operationId)).toBe(false);
    expect(await deadlineState(operationId)).toBe('closed');

    // A late duplicate of the terminal event from elsewhere changes nothing.
    const again = { ...applied, eventId: randomUUID() };
    const after = await sut.append(operationId, [again]);
    expect(after?.view?.completedAt).toBe(completedAt);
    expect(after?.view?.status).toBe('applied');
  });

  it('keeps the stream gapless when many writers append to one operation at once', async () => {
    const { operationId } = await requested();
    // Each lost race means another writer committed, so no writer loses more than writers - 1
    // times: within the repository's attempts, and the test cannot flake on scheduling.
    const writers = 6;
    const notes = Array.from({ length: writers }, () =>
      envelope(
        {
          type: 'WritebackFailed',
          version: 1,
          data: {
            operationId,
            domainId: 'corp',
            targetUpn: UPN,
            reason: { code: 'DIRECTORY.UNAVAILABLE', message: 'no DC answered' },
            attempts: 1,
            failedAt: new Date().toISOString(),
          },
        },
        ctx(operationId),
      ),
    );

    const results = await Promise.all(notes.map((n) => sut.append(operationId, [n])));

    expect(results.every((r) => r !== null)).toBe(true);
    expect(await sequences(operationId)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
  });

  it('lets exactly one of a decision and an expiry racing on the same operation end it', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { operationId } = await requested(-1_000);
        const loaded = await sut.load(operationId);
        const decision = approval(operationId, loaded.state);
        const [decided, expired] = await Promise.all([
          sut.appendDecision(operationId, loaded.stream, decision, decision.map(eventMessage)),
          sut.expire(operationId, expiry(operationId), (e) => e.map(eventMessage)),
        ]);
        const types = (await sut.load(operationId)).stream.events.map((e) => e.type);
        return { decided: decided !== null, expired, types };
      }),
    );

    for (const { decided, expired, types } of outcomes) {
      expect(expired).toBe(true);
      // The expiry always lands; the approval only if it committed first, and then it is expired after it.
      expect(types).toEqual(
        decided
          ? ['PasswordChangeRequested', 'WritebackApproved', 'WritebackFailed']
          : ['PasswordChangeRequested', 'WritebackFailed'],
      );
    }
  });

  it("wakes a replica's waiter when another replica records the end, in one sweep for all its waiters", async () => {
    const { operationId } = await requested();
    const stillRunning = await requested();
    // This replica holds the waiters; the end is recorded through another replica's repository.
    const here = new OperationChanges();
    const sweep = new WaiterSweep(here, new OperationsRepository(db(), here), quietLogger);
    const waiting = here.watch(operationId, 30_000);
    const other = here.watch(stillRunning.operationId, 30_000);
    await sweep.sweep();
    expect(here.watched().sort()).toEqual([operationId, stillRunning.operationId].sort());

    const loaded = await sut.load(operationId);
    const rejection = decide(
      { type: 'DecideWriteback', domain: { ...corp, writebackEnabled: false }, now: new Date().toISOString() },
      loaded.state,
    ).map((e) => envelope(e, ctx(operationId)));
    await sut.appendDecision(operationId, loaded.stream, rejection, []);
    await sweep.sweep();

    await expect(waiting.changed).resolves.toBeUndefined();
    expect(here.watched()).toEqual([stillRunning.operationId]);
    other.cancel();
  });
});
