import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  envelope,
  OperationQuery,
  type DomainConfigView,
  type EventEnvelope,
  type OperationPage,
  type SealedCredential,
  type WritebackEvent,
  type WritebackRequest,
} from '@writeback/contracts';
import { decide } from '@writeback/domain';
import { createLogger, metrics } from '@writeback/observability';
import { Prisma, type PrismaClient, type Sql } from '@writeback/persistence';
import { eventMessage, type OutboxRelay } from '@writeback/messaging';
import type { DomainConfigClient } from '@writeback/platform';
import { startMigratedDatabase, type MigratedDatabase } from '@writeback/testing';
import { CommandHandling } from './handlers/command-handling';
import { DecidePendingHandler } from './handlers/decide-pending.handler';
import { ExpireOperationHandler } from './handlers/expire-operation.handler';
import { RecordEventHandler } from './handlers/record-event.handler';
import { OperationChanges } from './operation-changes';
import { OwnEvents } from './own-events';
import { GATE_PRODUCER, newStream, OperationStore, StreamConflict, type Appended } from './store/operation-store';
import { listStatement, OperationViews } from './store/operation-views';
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
  version: 3,
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: false,
  scimPush: 'off',
  policy: { refuse: [], allow: [], allowWidening: false },
} as unknown as DomainConfigView;

/** One gate replica: its store, read model, remembered events, waiters and command handlers. */
function replica(sql: Sql, domainOf: (operationId: string) => Promise<DomainConfigView | null>) {
  const store = new OperationStore(sql);
  const own = new OwnEvents();
  const changes = new OperationChanges();
  const relay = { kicks: 0, kick: () => void relay.kicks++ };
  const commands = new CommandHandling(store, own, changes, relay as unknown as OutboxRelay);
  // The handler asks for the operation's domain; the test answers for the operation in hand.
  let current = '';
  const domains: Pick<DomainConfigClient, 'get'> = { get: () => domainOf(current) };
  const decidePending = new DecidePendingHandler(store, commands, own, domains, quietLogger);
  return {
    store,
    views: new OperationViews(sql),
    own,
    changes,
    relay,
    decidePending: (requested: EventEnvelope) => {
      current = requested.correlationId;
      return decidePending.handle(requested);
    },
    expire: new ExpireOperationHandler(commands, quietLogger),
    record: new RecordEventHandler(commands, own),
  };
}

/**
 * The gate's event store, read model and command handlers against a real PostgreSQL: one
 * statement per append, the stream's sequence key as the concurrency check, the projection an
 * append hands back equal to a fresh read, and the handlers' races settled by the database.
 */
describe('policy gate operations', () => {
  let database: MigratedDatabase | undefined;
  let sql: Sql;
  let gate: ReturnType<typeof replica>;

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-operations', { poolSize: 8 });
    sql = database.sql;
    gate = replica(sql, () => Promise.resolve(corp));
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
  ): Promise<{ operationId: string; event: EventEnvelope; appended: Appended }> {
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
    const appended = await gate.store.append(newStream(operationId), {
      events,
      sealed: { domainId: 'corp', credential },
      outbox: events.map(eventMessage),
      deadlineMs,
    });
    return { operationId, event: events[0] as EventEnvelope, appended };
  }

  const outcome = (operationId: string, event: WritebackEvent['type'] = 'WritebackFailed'): EventEnvelope =>
    envelope(
      event === 'WritebackApplied'
        ? {
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
          }
        : {
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
    );

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
  const types = async (operationId: string): Promise<string[]> =>
    (await gate.store.read(operationId)).events.map((e) => e.type);

  describe('OperationStore', () => {
    it('records a request in one go: the view it answers with is what a later read returns', async () => {
      const before = Date.now();

      const { operationId, appended } = await requested();

      expect(appended.state.status).toBe('requested');
      expect(appended.queued).toBe(1);
      expect(appended.view).toEqual(await gate.views.view(operationId));
      expect(appended.view).toMatchObject({
        status: 'requested',
        targetUpn: UPN,
        domainId: 'corp',
        caller,
        completedAt: null,
      });
      // Stored and read back in UTC, whatever the session's time zone.
      expect(Math.abs(Date.parse(appended.view?.createdAt ?? '') - before)).toBeLessThan(60_000);
      expect(await sequences(operationId)).toEqual([1]);
      expect(await deadlineState(operationId)).toBe('pending');
      expect(await gate.store.read(operationId)).toMatchObject({ version: 1, sealed: credential });
      expect(await outboxed(operationId)).toEqual(['PasswordChangeRequested']);
    });

    it('refuses an append at a version the stream has moved past, and writes nothing of it', async () => {
      const { operationId } = await requested();
      const stale = await gate.store.read(operationId);
      await gate.store.append(stale, { events: [outcome(operationId)], outbox: [] });

      const late = outcome(operationId, 'WritebackApplied');
      await expect(gate.store.append(stale, { events: [late], outbox: [eventMessage(late)] })).rejects.toBeInstanceOf(
        StreamConflict,
      );

      expect(await sequences(operationId)).toEqual([1, 2]);
      expect(await types(operationId)).toEqual(['PasswordChangeRequested', 'WritebackFailed']);
      expect(await outboxed(operationId)).toEqual(['PasswordChangeRequested']);
    });
  });

  describe('OperationViews', () => {
    it('lists operations newest first by domain, status, reason, user and time, a page at a time', async () => {
      const since = new Date();
      const waiting = await requested();
      const approvedOne = await requested();
      await gate.decidePending(approvedOne.event);
      const expiredOne = await requested(-1_000);
      await gate.expire.handle(expiredOne.operationId);
      const list = async (filter: Partial<OperationQuery>): Promise<string[]> =>
        (await gate.views.list({ since, limit: 50, ...filter })).items.map((o) => o.operationId);

      const all = await gate.views.list({ since, limit: 50 });

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
      expect(await list({ domainId: 'corp', status: 'approved' })).toEqual([approvedOne.operationId]);
      expect(await list({ targetUpn: UPN.toUpperCase() })).toHaveLength(3);
      // Equality, not a pattern: LIKE's wildcards match nothing but themselves.
      expect(await list({ targetUpn: 'alice@corp.example.tes_' })).toEqual([]);
      expect(await list({ since: new Date(Date.now() + 60_000) })).toEqual([]);

      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: OperationPage = await gate.views.list(
          OperationQuery.parse({ since: since.toISOString(), limit: '1', ...(cursor ? { cursor } : {}) }),
        );
        paged.push(...page.items.map((o) => o.operationId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all.items.map((o) => o.operationId));
    });

    it('reads a page off the newest-first index, from the cursor on, without sorting', async () => {
      const cursor = { createdAt: new Date(), operationId: randomUUID() };
      const filters: OperationQuery[] = [
        { limit: 50 },
        { limit: 50, cursor },
        { limit: 50, since: new Date(0), cursor, status: 'failed', domainId: 'corp' },
        { limit: 50, targetUpn: UPN, reasonCode: 'OPERATION.DEADLINE_EXCEEDED', cursor },
      ];
      for (const filter of filters) {
        // The table is small here, where reading it all and sorting is cheapest; with that ruled
        // out, the plan shows whether an index gives the order (else it must still sort).
        const plan = await sql.transaction(async (tx) => {
          for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort']) {
            await tx.execute(Prisma.sql`SELECT set_config(${setting}, 'off', true)`);
          }
          const [row] = await tx.query<{ 'QUERY PLAN': unknown }>(
            Prisma.sql`EXPLAIN (FORMAT JSON) ${listStatement(filter)}`,
          );
          return JSON.stringify(row?.['QUERY PLAN']);
        });
        expect(plan).toContain('"Index Name":"operations_created_at_id_idx"');
        expect(plan).not.toContain('"Node Type":"Sort"');
        // The cursor is where the index scan starts, not a filter on every row it reads.
        expect(/"Index Cond":"[^"]*ROW\(created_at, id\) < ROW\(/.test(plan)).toBe(filter.cursor !== undefined);
      }
    });
  });

  describe('command handlers', () => {
    it('records an event once: a redelivery, in this replica or another, appends nothing', async () => {
      const { operationId } = await requested();
      const failed = outcome(operationId);
      const other = replica(sql, () => Promise.resolve(corp));
      const kicks = gate.relay.kicks;

      const first = await gate.record.handle(failed);

      expect(first?.view?.status).toBe('failed');
      expect(gate.own.appendedHere(failed.eventId)).toBe(true);
      expect(await gate.record.handle(failed)).toBeNull();
      // Another replica does not know it appended it; its read finds it recorded already.
      expect(other.own.appendedHere(failed.eventId)).toBe(false);
      expect(await other.record.handle(failed)).toBeNull();
      expect(await sequences(operationId)).toEqual([1, 2]);
      // Recording the executor's outcome queues nothing: nothing to kick.
      expect(gate.relay.kicks).toBe(kicks);
    });

    it('decides a pending request with its messages, and wakes its waiter with the view committed', async () => {
      const { operationId, event } = await requested();
      const kicks = gate.relay.kicks;
      const waiting = gate.changes.watch(operationId, 30_000);

      const decided = await gate.decidePending(event);

      expect(decided?.view?.status).toBe('approved');
      await expect(waiting.changed).resolves.toEqual(await gate.views.view(operationId));
      expect(await outboxed(operationId)).toEqual([
        'PasswordChangeRequested',
        'WritebackApproved',
        'ApplyPasswordWriteback',
      ]);
      expect(gate.relay.kicks).toBe(kicks + 1);
      // Its own decision comes back over the bus: skipped without a read.
      const approval = decided?.events[0] as EventEnvelope;
      expect(gate.own.appendedHere(approval.eventId)).toBe(true);
      expect(await gate.record.handle(approval)).toBeNull();
      // So does the request: decided already, nothing more to say.
      expect(await gate.decidePending(event)).toBeNull();
      expect(await sequences(operationId)).toEqual([1, 2]);
    });

    it('drops a decision whose stream moved on while it was taken (a deadline ended it first)', async () => {
      const { operationId, event } = await requested(-1_000);
      // The deadline passes while the handler reads the domain, after it read the stream.
      const racing = replica(sql, async (id) => {
        expect(await gate.expire.handle(id)).toBe(true);
        return corp;
      });

      expect(await racing.decidePending(event)).toBeNull();

      expect((await gate.views.view(operationId))?.status).toBe('failed');
      expect(await sequences(operationId)).toEqual([1, 2]);
      expect(await outboxed(operationId)).toEqual(['PasswordChangeRequested', 'WritebackFailed']);
      expect(await deadlineState(operationId)).toBe('expired');
    });

    it('ends an operation: completedAt set once, sealed password gone, deadline closed', async () => {
      const { operationId, event } = await requested();
      await gate.decidePending(event);
      const applied = outcome(operationId, 'WritebackApplied');

      const ended = await gate.record.handle(applied);
      const completedAt = ended?.view?.completedAt;
      expect(ended?.view).toEqual(await gate.views.view(operationId));
      expect(completedAt).not.toBeNull();
      expect(await hasSealed(operationId)).toBe(false);
      expect(await deadlineState(operationId)).toBe('closed');
      // Ended: its deadline cannot expire it any more.
      expect(await gate.expire.handle(operationId)).toBe(false);

      // A late duplicate of the terminal event from elsewhere changes nothing.
      const after = await gate.record.handle({ ...applied, eventId: randomUUID() });
      expect(after?.view?.completedAt).toBe(completedAt);
      expect(after?.view?.status).toBe('applied');
    });

    it('counts an operation once when it ends: by its deadline, not again for an outcome arriving after it', async () => {
      const ends = async (outcome: string, reason: string): Promise<number> =>
        (await metrics.operations.get()).values
          .filter((v) => v.labels['outcome'] === outcome && v.labels['reason'] === reason)
          .reduce((sum, v) => sum + v.value, 0);
      const expiredBefore = await ends('failed', 'OPERATION.DEADLINE_EXCEEDED');
      const { operationId } = await requested(-1_000);

      expect(await gate.expire.handle(operationId)).toBe(true);
      expect(await ends('failed', 'OPERATION.DEADLINE_EXCEEDED')).toBe(expiredBefore + 1);

      // The executor's own failure, arriving after the deadline's, is recorded but not counted.
      const late = outcome(operationId);
      const lateReason = late.type === 'WritebackFailed' ? late.data.reason.code : '';
      const allEnds = async (): Promise<number> =>
        (await metrics.operations.get()).values.reduce((sum, v) => sum + v.value, 0);
      const endsBeforeLate = await allEnds();
      expect(await gate.record.handle(late)).not.toBeNull();
      expect(await allEnds()).toBe(endsBeforeLate);
      expect(await ends('failed', 'OPERATION.DEADLINE_EXCEEDED')).toBe(expiredBefore + 1);
      expect(lateReason).not.toBe('OPERATION.DEADLINE_EXCEEDED');
    });

    it('keeps the stream gapless when many writers append to one operation at once', async () => {
      const { operationId } = await requested();
      // Each lost race means another writer committed, so no writer loses more than writers - 1
      // times: within the handlers' attempts, and the test cannot flake on scheduling.
      const writers = 6;
      const notes = Array.from({ length: writers }, () => outcome(operationId));

      const results = await Promise.all(notes.map((n) => gate.record.handle(n)));

      expect(results.every((r) => r !== null)).toBe(true);
      expect(await sequences(operationId)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
    });

    it('lets exactly one of a decision and an expiry racing on the same operation end it', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const { operationId, event } = await requested(-1_000);
          const [decided, expired] = await Promise.all([gate.decidePending(event), gate.expire.handle(operationId)]);
          return { decided: decided !== null, expired, types: await types(operationId) };
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
      const { operationId, event } = await requested();
      const stillRunning = await requested();
      // This replica holds the waiters; the end is recorded by another, whose domain is disabled.
      const here = new OperationChanges();
      const sweep = new WaiterSweep(here, new OperationViews(sql), quietLogger);
      const refusing = replica(sql, () => Promise.resolve({ ...corp, writebackEnabled: false }));
      const waiting = here.watch(operationId, 30_000);
      const other = here.watch(stillRunning.operationId, 30_000);
      await sweep.sweep();
      expect(here.watched().sort()).toEqual([operationId, stillRunning.operationId].sort());

      expect((await refusing.decidePending(event))?.view?.status).toBe('rejected');
      await sweep.sweep();

      await expect(waiting.changed).resolves.toBeUndefined();
      expect(here.watched()).toEqual([stillRunning.operationId]);
      other.cancel();
    });
  });
});
