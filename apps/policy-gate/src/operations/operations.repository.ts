import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  EventEnvelope,
  OperationStatus,
  type OperationView,
  type SealedCredential,
} from '@writeback/contracts';
import { isTerminal, replay, type OperationState } from '@writeback/domain';
import type { Prisma, PrismaClient } from '@writeback/persistence';
import type { OutgoingMessage } from '@writeback/messaging';
import { PRISMA, writeOutbox } from '@writeback/platform';
import { OperationChanges } from './operation-changes';

export const GATE_PRODUCER = 'policy-gate';

/** What an append changed: the operation's new state, when it was requested, and its view. */
export interface Appended {
  state: OperationState;
  requestedAt: string;
  /** What `GET /v1/operations/:id` answers now; absent while the operation has no projection. */
  view?: OperationView;
}

type OperationRow = Awaited<ReturnType<PrismaClient['operation']['findUniqueOrThrow']>>;

function toView(op: OperationRow, history: ReadonlyArray<{ type: string; occurredAt: Date }>): OperationView {
  return {
    operationId: op.id,
    status: OperationStatus.parse(op.status),
    kind: op.kind,
    channel: op.channel,
    targetUpn: op.targetUpn,
    domainId: op.domainId,
    caller: Caller.parse(op.caller),
    reason: op.reasonCode ? { code: op.reasonCode, message: op.reasonMessage ?? '' } : null,
    createdAt: op.createdAt.toISOString(),
    updatedAt: op.updatedAt.toISOString(),
    completedAt: op.completedAt?.toISOString() ?? null,
    history: history.map((h) => ({ type: h.type, occurredAt: h.occurredAt.toISOString() })),
  };
}

export interface AppendEffects {
  sealed?: { domainId: string; credential: SealedCredential };
  outbox?: readonly OutgoingMessage[];
  deadlineMs?: number;
}

/** The gate's store: each operation's event stream, its projection, and its sealed password. */
@Injectable()
export class OperationsRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly changes: OperationChanges,
  ) {}

  async load(operationId: string): Promise<{ state: OperationState; events: EventEnvelope[] }> {
    const rows = await this.prisma.operationEvent.findMany({ where: { operationId }, orderBy: { sequence: 'asc' } });
    const events = rows.map((r) => EventEnvelope.parse(r.payload));
    return { state: replay(events), events };
  }

  /**
   * True when the event is already in its operation's stream: the gate's own decisions come
   * back to it over the bus, and one indexed read spares them a locking transaction.
   */
  async knows(eventId: string): Promise<boolean> {
    return (await this.prisma.operationEvent.count({ where: { eventId } })) > 0;
  }

  async sealedCredential(operationId: string): Promise<SealedCredential | null> {
    const row = await this.prisma.sealedCredential.findUnique({ where: { operationId } });
    return row ? (JSON.parse(row.sealed) as SealedCredential) : null;
  }

  /**
   * Appends events not seen before (by eventId), refreshes the projection and queues the
   * messages to publish, in one transaction. Returns null when every event was already recorded.
   * `deadlineMs` starts the operation's deadline (ADR 0011), on PostgreSQL's clock.
   */
  async append(
    operationId: string,
    envelopes: readonly EventEnvelope[],
    effects: AppendEffects = {},
  ): Promise<Appended | null> {
    return this.notifying(
      operationId,
      this.prisma.$transaction((tx) => this.appendIn(tx, operationId, () => envelopes, effects)),
    );
  }

  /** Wakes callers waiting on the operation once a change has committed, with its new view. */
  private async notifying<T extends Appended | boolean | null>(operationId: string, committed: Promise<T>): Promise<T> {
    const result = await committed;
    if (result) this.changes.changed(operationId, typeof result === 'object' ? result.view : undefined);
    return result;
  }

  /**
   * Appends a decision taken on `decidedOn`, with its messages, only if the operation is still
   * in that status under the operation's lock: a decision raced by the deadline is dropped.
   */
  async appendDecision(
    operationId: string,
    decidedOn: OperationState['status'],
    envelopes: readonly EventEnvelope[],
    outbox: readonly OutgoingMessage[],
  ): Promise<Appended | null> {
    return this.notifying(
      operationId,
      this.prisma.$transaction((tx) =>
        this.appendIn(tx, operationId, (state) => (state.status === decidedOn ? envelopes : []), {
          outbox: (fresh) => (fresh.length > 0 ? [...outbox] : []),
        }),
      ),
    );
  }

  /**
   * Operations whose deadline passed while no executor had claimed them, oldest first. A
   * candidate only: `expire` settles each one against a concurrent claim.
   */
  async overdue(limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ operation_id: string }>>`
      SELECT operation_id::text FROM operation_deadlines
       WHERE state = 'pending' AND deadline <= now()
       ORDER BY deadline LIMIT ${limit}`;
    return rows.map((r) => r.operation_id);
  }

  /**
   * Expires an operation's deadline and records what `decideExpiry` says, in one transaction.
   * The compare-and-set on `operation_deadlines` is the executor's claim's counterpart: whichever
   * commits first wins, so an operation is never reported failed while an executor may write it.
   * False when an executor claimed it first (or the deadline was already settled).
   */
  async expire(
    operationId: string,
    decideExpiry: (state: OperationState) => EventEnvelope[],
    outbox: (events: readonly EventEnvelope[]) => OutgoingMessage[],
  ): Promise<boolean> {
    return this.notifying(
      operationId,
      this.prisma.$transaction(async (tx) => {
        const settled = await tx.$executeRaw`
        UPDATE operation_deadlines SET state = 'expired', settled_at = now()
         WHERE operation_id = ${operationId}::uuid AND state = 'pending' AND deadline <= now()`;
        if (settled === 0) return false;
        await this.appendIn(tx, operationId, decideExpiry, { outbox });
        return true;
      }),
    );
  }

  private async appendIn(
    tx: Prisma.TransactionClient,
    operationId: string,
    eventsFor: (state: OperationState) => readonly EventEnvelope[],
    effects: Omit<AppendEffects, 'outbox'> & {
      outbox?: readonly OutgoingMessage[] | ((fresh: readonly EventEnvelope[]) => OutgoingMessage[]);
    },
  ): Promise<Appended | null> {
    // One writer per operation at a time; sequence numbers stay gapless.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${operationId}))`;
    const existing = await tx.operationEvent.findMany({ where: { operationId }, orderBy: { sequence: 'asc' } });
    const known = new Set(existing.map((e) => e.eventId));
    const before = existing.map((r) => EventEnvelope.parse(r.payload));
    const fresh = eventsFor(replay(before)).filter((e) => !known.has(e.eventId));
    if (fresh.length === 0) return null;
    await tx.operationEvent.createMany({
      data: fresh.map((e, i) => ({
        eventId: e.eventId,
        operationId,
        sequence: existing.length + i + 1,
        type: e.type,
        payload: e,
        occurredAt: new Date(e.occurredAt),
      })),
    });
    const all = [...before, ...fresh];
    const state = replay(all);
    const first = all[0] as EventEnvelope;
    if (state.status === 'initial') return { state, requestedAt: first.occurredAt };
    const projection = {
      status: state.status,
      kind: state.request.kind,
      channel: state.request.channel,
      targetUpn: state.request.target.userPrincipalName,
      domainId: state.domainId,
      initiator: state.request.initiator,
      caller: state.caller,
      reasonCode: state.reason?.code ?? null,
      reasonMessage: state.reason?.message ?? null,
      completedAt: isTerminal(state.status) ? new Date() : null,
    };
    const op = await tx.operation.upsert({
      where: { id: operationId },
      create: {
        id: operationId,
        ...projection,
        correlationId: first.correlationId,
        traceparent: first.traceparent,
      },
      update: projection,
    });
    const { sealed, deadlineMs } = effects;
    if (sealed) {
      await tx.sealedCredential.create({
        data: {
          operationId,
          domainId: sealed.domainId,
          keyId: sealed.credential.keyId,
          sealed: JSON.stringify(sealed.credential),
        },
      });
    }
    if (deadlineMs !== undefined) {
      await tx.$executeRaw`
        INSERT INTO operation_deadlines (operation_id, deadline)
        VALUES (${operationId}::uuid, now() + make_interval(secs => ${deadlineMs / 1000}))`;
    }
    const outbox = typeof effects.outbox === 'function' ? effects.outbox(fresh) : (effects.outbox ?? []);
    await writeOutbox(tx, GATE_PRODUCER, outbox);
    if (isTerminal(state.status)) {
      // Once an operation is over, nobody needs its sealed password any more, and a deadline
      // nobody claimed has nothing left to guard.
      await tx.sealedCredential.deleteMany({ where: { operationId } });
      await tx.$executeRaw`
        UPDATE operation_deadlines SET state = 'closed', settled_at = now()
         WHERE operation_id = ${operationId}::uuid AND state = 'pending'`;
    }
    const history = all.map((e) => ({ type: e.type, occurredAt: new Date(e.occurredAt) }));
    return { state, requestedAt: first.occurredAt, view: toView(op, history) };
  }

  async view(operationId: string): Promise<OperationView | null> {
    const op = await this.prisma.operation.findUnique({ where: { id: operationId } });
    if (!op) return null;
    const history = await this.prisma.operationEvent.findMany({
      where: { operationId },
      orderBy: { sequence: 'asc' },
      select: { type: true, occurredAt: true },
    });
    return toView(op, history);
  }
}
