import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  EventEnvelope,
  OperationStatus,
  operationCursor,
  type OperationPage,
  type OperationQuery,
  type OperationSummary,
  type OperationView,
  type SealedCredential,
} from '@writeback/contracts';
import { isTerminal, replay, type OperationState } from '@writeback/domain';
import {
  deadlineClose,
  deadlineInsert,
  expireDeadline,
  overdueDeadlines,
  Prisma,
  retryOnUniqueViolation,
  sqlOverPrisma,
  type PrismaClient,
} from '@writeback/persistence';
import { outboxInsert, type OutgoingMessage } from '@writeback/messaging';
import { PRISMA } from '@writeback/platform';
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

/** The projection's columns a view shows. */
type ViewRow = Pick<
  OperationRow,
  | 'id'
  | 'status'
  | 'kind'
  | 'channel'
  | 'targetUpn'
  | 'domainId'
  | 'caller'
  | 'reasonCode'
  | 'reasonMessage'
  | 'createdAt'
  | 'updatedAt'
  | 'completedAt'
>;

function toSummary(op: ViewRow): OperationSummary {
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
  };
}

function toView(op: ViewRow, history: ReadonlyArray<{ type: string; occurredAt: string }>): OperationView {
  return {
    ...toSummary(op),
    history: history.map((h) => ({ type: h.type, occurredAt: new Date(h.occurredAt).toISOString() })),
  };
}

export interface AppendEffects {
  sealed?: { domainId: string; credential: SealedCredential };
  outbox?: readonly OutgoingMessage[];
  deadlineMs?: number;
}

/** Which events to append and which messages go with them, decided on the stream as it stands. */
interface Decided {
  events: readonly EventEnvelope[];
  outbox?: (fresh: readonly EventEnvelope[]) => readonly OutgoingMessage[];
}

/** Fixed events (appended unless already recorded), or a decision taken on the current state. */
type Decision = Decided | ((state: OperationState) => Decided);

/** An operation's stream as stored: each event's id, and its envelope once parsed. */
export interface Stream {
  eventIds: ReadonlySet<string>;
  events: readonly EventEnvelope[];
}

/** Anything that runs a raw statement: the client, or an interactive transaction. */
type Db = Pick<Prisma.TransactionClient, '$queryRaw'>;

/**
 * How many times an append re-reads the stream after another writer took the sequence number
 * it meant to use. Writers of one operation are its Kafka partition's consumer, its deadline
 * watch and (once) its request, so a second try is already rare.
 */
const APPEND_ATTEMPTS = 8;

/**
 * How many of its own appended events the gate remembers, to skip them when they come back over
 * the bus, which takes milliseconds: minutes' worth at the rates it sustains. One forgotten
 * costs a read.
 */
const REMEMBERED_EVENTS = 10_000;

function streamOf(rows: ReadonlyArray<{ payload: unknown }>): Stream {
  const events = rows.map((r) => EventEnvelope.parse(r.payload));
  return { eventIds: new Set(events.map((e) => e.eventId)), events };
}

/**
 * The gate's store: each operation's event stream, its projection, and its sealed password.
 *
 * An append is optimistic: read the stream, decide, then write the new events, the projection,
 * the outbox messages and the deadline in one SQL statement (one round trip, atomic on its own).
 * The stream's `(operation_id, sequence)` key is the concurrency check: a writer that lost the
 * race for a sequence number fails with a unique violation, writes nothing, and decides again
 * on the stream as it now stands. This replaced an advisory lock and seven statements in an
 * interactive transaction (docs/benchmarks.md).
 */
@Injectable()
export class OperationsRepository {
  /** Ids of the events this process appended lately, oldest first (`appendedHere`). */
  private readonly appended = new Set<string>();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly changes: OperationChanges,
  ) {}

  /**
   * The operation's state, its stream for a decision appended with `appendDecision`, and its
   * sealed password while it has one, in one round trip.
   */
  async load(operationId: string): Promise<{ state: OperationState; stream: Stream; sealed: SealedCredential | null }> {
    const rows = await this.prisma.$queryRaw<Array<{ payload: unknown; sealed: string | null }>>`
      SELECT payload, (SELECT sealed FROM sealed_credentials WHERE operation_id = ${operationId}::uuid) AS sealed
        FROM operation_events WHERE operation_id = ${operationId}::uuid ORDER BY sequence`;
    const stream = streamOf(rows);
    const sealed = rows[0]?.sealed;
    return { state: replay(stream.events), stream, sealed: sealed ? (JSON.parse(sealed) as SealedCredential) : null };
  }

  private async stream(db: Db, operationId: string): Promise<Stream> {
    return streamOf(
      await db.$queryRaw<Array<{ payload: unknown }>>`
        SELECT payload FROM operation_events WHERE operation_id = ${operationId}::uuid ORDER BY sequence`,
    );
  }

  /**
   * True when this process appended the event (among its most recent appends): the gate's own
   * decisions come back to it over the bus, already recorded, since a message is queued in the
   * statement that records its event. Anything else is appended, which skips what the stream
   * already holds: another replica's decisions cost a read, not a write.
   */
  appendedHere(eventId: string): boolean {
    return this.appended.has(eventId);
  }

  /**
   * Appends events not seen before (by eventId), refreshes the projection and queues the
   * messages to publish, atomically. Returns null when every event was already recorded.
   * `deadlineMs` starts the operation's deadline (ADR 0011), on PostgreSQL's clock. A `newStream`
   * (an operation id just generated) is written without reading it first.
   */
  async append(
    operationId: string,
    envelopes: readonly EventEnvelope[],
    effects: AppendEffects & { newStream?: boolean } = {},
  ): Promise<Appended | null> {
    const { outbox, newStream, ...rest } = effects;
    const empty: Stream = { eventIds: new Set(), events: [] };
    return this.notifying(
      operationId,
      this.appending(
        operationId,
        { events: envelopes, outbox: () => outbox ?? [] },
        rest,
        newStream ? empty : undefined,
      ),
    );
  }

  /**
   * Appends a decision taken on `decidedOn`, with its messages, only if the operation is still
   * in that status when it is written: a decision raced by the deadline is dropped.
   */
  async appendDecision(
    operationId: string,
    decidedOn: Stream,
    envelopes: readonly EventEnvelope[],
    outbox: readonly OutgoingMessage[],
  ): Promise<Appended | null> {
    const status = replay(decidedOn.events).status;
    return this.notifying(
      operationId,
      this.appending(
        operationId,
        (state) =>
          state.status === status
            ? { events: envelopes, outbox: (fresh) => (fresh.length > 0 ? outbox : []) }
            : { events: [] },
        {},
        decidedOn,
      ),
    );
  }

  /** Wakes callers waiting on the operation once a change has committed, with its new view. */
  private async notifying<T extends Appended | boolean | null>(operationId: string, committed: Promise<T>): Promise<T> {
    const result = await committed;
    if (result) this.changes.changed(operationId, typeof result === 'object' ? result.view : undefined);
    return result;
  }

  /**
   * Operations whose deadline passed while no executor had claimed them, oldest first. A
   * candidate only: `expire` settles each one against a concurrent claim.
   */
  async overdue(limit: number): Promise<string[]> {
    return overdueDeadlines(sqlOverPrisma(this.prisma), limit);
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
      retryOnUniqueViolation(APPEND_ATTEMPTS, () =>
        this.prisma.$transaction(async (tx) => {
          if (!(await expireDeadline(sqlOverPrisma(tx), operationId))) return false;
          await this.appendOnce(tx, operationId, (state) => ({ events: decideExpiry(state), outbox }), {});
          return true;
        }),
      ),
    );
  }

  /** Appends on `read` first (when given), and on a fresh read after losing a race. */
  private appending(
    operationId: string,
    decision: Decision,
    effects: Omit<AppendEffects, 'outbox'>,
    read?: Stream,
  ): Promise<Appended | null> {
    let stream = read;
    return retryOnUniqueViolation(APPEND_ATTEMPTS, () => {
      const onto = stream;
      stream = undefined;
      return this.appendOnce(this.prisma, operationId, decision, effects, onto);
    });
  }

  private async appendOnce(
    db: Db,
    operationId: string,
    decision: Decision,
    effects: Omit<AppendEffects, 'outbox'>,
    read?: Stream,
  ): Promise<Appended | null> {
    const { eventIds: known, events: before } = read ?? (await this.stream(db, operationId));
    const decided = typeof decision === 'function' ? decision(replay(before)) : decision;
    const fresh = decided.events.filter((e) => !known.has(e.eventId));
    if (fresh.length === 0) return null;
    const all = [...before, ...fresh];
    const state = replay(all);
    const first = all[0] as EventEnvelope;
    const events = JSON.stringify(
      fresh.map((e, i) => ({
        event_id: e.eventId,
        sequence: before.length + i + 1,
        type: e.type,
        payload: e,
        occurred_at: e.occurredAt,
      })),
    );
    if (state.status === 'initial') {
      await db.$queryRaw`
        INSERT INTO operation_events (event_id, operation_id, sequence, type, payload, occurred_at)
        SELECT e.event_id, ${operationId}::uuid, e.sequence, e.type, e.payload,
               e.occurred_at::timestamptz AT TIME ZONE 'UTC'
          FROM jsonb_to_recordset(${events}::jsonb)
            AS e(event_id uuid, sequence int, type text, payload jsonb, occurred_at text)
        RETURNING 1`;
      this.remember(fresh);
      return { state, requestedAt: first.occurredAt };
    }
    const terminal = isTerminal(state.status);
    // An operation that ends in this append keeps no sealed password and no pending deadline.
    const sealed = !terminal && effects.sealed ? effects.sealed : null;
    const deadlineSeconds = effects.deadlineMs === undefined ? null : effects.deadlineMs / 1000;
    const now = new Date().toISOString();
    const [op] = await db.$queryRaw<Array<{ created_at: Date; updated_at: Date; completed_at: Date | null }>>`
      WITH stream AS (
        INSERT INTO operation_events (event_id, operation_id, sequence, type, payload, occurred_at)
        SELECT e.event_id, ${operationId}::uuid, e.sequence, e.type, e.payload,
               e.occurred_at::timestamptz AT TIME ZONE 'UTC'
          FROM jsonb_to_recordset(${events}::jsonb)
            AS e(event_id uuid, sequence int, type text, payload jsonb, occurred_at text)
        RETURNING 1
      ), projection AS (
        INSERT INTO operations AS o (id, status, kind, channel, target_upn, domain_id, initiator, caller,
                                     reason_code, reason_message, correlation_id, traceparent,
                                     created_at, updated_at, completed_at)
        VALUES (${operationId}::uuid, ${state.status}, ${state.request.kind}, ${state.request.channel},
                ${state.request.target.userPrincipalName}, ${state.domainId},
                ${JSON.stringify(state.request.initiator)}::jsonb, ${JSON.stringify(state.caller)}::jsonb,
                ${state.reason?.code ?? null}, ${state.reason?.message ?? null},
                ${first.correlationId}, ${first.traceparent ?? null},
                ${now}::timestamptz AT TIME ZONE 'UTC', ${now}::timestamptz AT TIME ZONE 'UTC',
                CASE WHEN ${terminal} THEN ${now}::timestamptz AT TIME ZONE 'UTC' END)
        ON CONFLICT (id) DO UPDATE SET
          status = EXCLUDED.status, kind = EXCLUDED.kind, channel = EXCLUDED.channel,
          target_upn = EXCLUDED.target_upn, domain_id = EXCLUDED.domain_id,
          initiator = EXCLUDED.initiator, caller = EXCLUDED.caller,
          reason_code = EXCLUDED.reason_code, reason_message = EXCLUDED.reason_message,
          updated_at = EXCLUDED.updated_at,
          completed_at = CASE WHEN ${terminal} THEN COALESCE(o.completed_at, EXCLUDED.completed_at) END
        RETURNING o.created_at, o.updated_at, o.completed_at
      ), sealing AS (
        INSERT INTO sealed_credentials (operation_id, domain_id, key_id, sealed)
        SELECT ${operationId}::uuid, ${sealed?.domainId ?? null}, ${sealed?.credential.keyId ?? null},
               ${sealed ? JSON.stringify(sealed.credential) : null}
         WHERE ${sealed !== null}
        RETURNING 1
      ), deadline AS (${deadlineInsert(operationId, deadlineSeconds, Prisma.sql`${deadlineSeconds !== null} AND NOT ${terminal}`)}
      ), messages AS (${outboxInsert(GATE_PRODUCER, decided.outbox?.(fresh) ?? [])}
      ), unsealing AS (
        DELETE FROM sealed_credentials WHERE operation_id = ${operationId}::uuid AND ${terminal}
        RETURNING 1
      ), closing AS (${deadlineClose(operationId, Prisma.sql`${terminal}`)}
      )
      SELECT created_at, updated_at, completed_at FROM projection`;
    if (!op) throw new Error(`operation ${operationId}: its projection was not written`);
    this.remember(fresh);
    const row: ViewRow = {
      id: operationId,
      status: state.status,
      kind: state.request.kind,
      channel: state.request.channel,
      targetUpn: state.request.target.userPrincipalName,
      domainId: state.domainId,
      caller: state.caller,
      reasonCode: state.reason?.code ?? null,
      reasonMessage: state.reason?.message ?? null,
      createdAt: op.created_at,
      updatedAt: op.updated_at,
      completedAt: op.completed_at,
    };
    return { state, requestedAt: first.occurredAt, view: toView(row, all) };
  }

  /**
   * Remembers appended event ids, up to `REMEMBERED_EVENTS`. An id remembered from a transaction
   * that then rolled back (an expiry's) is never seen again: its message was rolled back with it.
   */
  private remember(events: readonly EventEnvelope[]): void {
    for (const e of events) this.appended.add(e.eventId);
    for (const oldest of this.appended) {
      if (this.appended.size <= REMEMBERED_EVENTS) break;
      this.appended.delete(oldest);
    }
  }

  /** Which of these operations have ended (by the projection, whoever recorded the end). */
  async ended(operationIds: readonly string[]): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM operations
       WHERE id = ANY(${operationIds}::uuid[]) AND status IN ('applied', 'rejected', 'failed')`;
    return rows.map((r) => r.id);
  }

  /** What `GET /v1/operations/:id` answers: the projection and its history, in one round trip. */
  async view(operationId: string): Promise<OperationView | null> {
    const [op] = await this.prisma.$queryRaw<
      Array<{
        status: string;
        kind: string;
        channel: string;
        target_upn: string;
        domain_id: string | null;
        caller: unknown;
        reason_code: string | null;
        reason_message: string | null;
        created_at: Date;
        updated_at: Date;
        completed_at: Date | null;
        types: string[];
        occurred: string[];
      }>
    >`
      SELECT o.status, o.kind, o.channel, o.target_upn, o.domain_id, o.caller, o.reason_code, o.reason_message,
             o.created_at, o.updated_at, o.completed_at, h.types, h.occurred
        FROM operations o
        CROSS JOIN LATERAL (
          SELECT COALESCE(array_agg(e.type ORDER BY e.sequence), '{}') AS types,
                 -- Stored in UTC without a zone: written out as UTC.
                 COALESCE(array_agg(to_char(e.occurred_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ORDER BY e.sequence), '{}')
                   AS occurred
            FROM operation_events e WHERE e.operation_id = o.id) h
       WHERE o.id = ${operationId}::uuid`;
    if (!op) return null;
    return toView(
      {
        id: operationId,
        status: op.status,
        kind: op.kind,
        channel: op.channel,
        targetUpn: op.target_upn,
        domainId: op.domain_id,
        caller: op.caller as ViewRow['caller'],
        reasonCode: op.reason_code,
        reasonMessage: op.reason_message,
        createdAt: op.created_at,
        updatedAt: op.updated_at,
        completedAt: op.completed_at,
      },
      op.types.map((type, i) => ({ type, occurredAt: op.occurred[i] ?? '' })),
    );
  }

  /** Operations matching every filter, newest first, after `cursor` (where the last page ended). */
  async list(filter: OperationQuery): Promise<OperationPage> {
    const after = filter.cursor;
    const rows = await this.prisma.operation.findMany({
      where: {
        ...(filter.domainId ? { domainId: filter.domainId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.reasonCode ? { reasonCode: filter.reasonCode } : {}),
        ...(filter.targetUpn ? { targetUpn: { equals: filter.targetUpn, mode: 'insensitive' } } : {}),
        ...(filter.since ? { createdAt: { gte: filter.since } } : {}),
        ...(after
          ? {
              OR: [
                { createdAt: { lt: after.createdAt } },
                { createdAt: after.createdAt, id: { lt: after.operationId } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit + 1,
    });
    const page = rows.slice(0, filter.limit).map(toSummary);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > filter.limit && last ? operationCursor(last.createdAt, last.operationId) : null,
    };
  }
}
