import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope, WritebackError, type OperationView, type SealedCredential } from '@writeback/contracts';
import { isTerminal, replay, type OperationState } from '@writeback/domain';
import { outboxInsert, type OutgoingMessage } from '@writeback/messaging';
import {
  deadlineClose,
  deadlineInsert,
  isUniqueViolation,
  overdueDeadlines,
  Prisma,
  type Sql,
} from '@writeback/persistence';
import { SQL } from '@writeback/platform';
import { toView } from './view-rows';

export const GATE_PRODUCER = 'policy-gate';

/** An operation's events as stored, in order, with what an append must know. */
export interface OperationStream {
  operationId: string;
  events: readonly EventEnvelope[];
  /** The last event's sequence number (0 for no events): the version an append expects. */
  version: number;
  /** The sealed password, while the operation has one. */
  sealed: SealedCredential | null;
}

/** A stream with no events yet, for an operation id just generated: appended without a read. */
export const newStream = (operationId: string): OperationStream => ({
  operationId,
  events: [],
  version: 0,
  sealed: null,
});

/** What an append writes besides its events. */
export interface StreamChange {
  /** The new events, in order; at least one. */
  events: readonly EventEnvelope[];
  /** Messages to publish once the change commits (outbox). */
  outbox: readonly OutgoingMessage[];
  /** Keeps the new password, sealed for the domain's executors (dropped if the operation ends). */
  sealed?: { domainId: string; credential: SealedCredential };
  /** Starts the operation's deadline this far ahead, on PostgreSQL's clock (ADR 0011). */
  deadlineMs?: number;
}

/** What an append changed: the new events, the operation's state, and its view. */
export interface Appended {
  events: readonly EventEnvelope[];
  /** How many messages it queued in the outbox. */
  queued: number;
  state: OperationState;
  /** Whether this append ended the operation (it had not ended before): counted once, here. */
  ended: boolean;
  /** When the operation was requested (its first event). */
  requestedAt: string;
  /** What `GET /v1/operations/:id` answers now; absent while the operation has no projection. */
  view?: OperationView;
}

/**
 * Another writer appended to the stream since it was read: nothing was written. Read the
 * stream again and decide again; retriable, as the race is worth running again later.
 */
export class StreamConflict extends WritebackError {
  readonly code = 'OPERATION.STREAM_CONFLICT';
  readonly retriable = true;

  constructor(operationId: string, version: number, options?: { cause?: unknown }) {
    super(`operation ${operationId}: the stream moved past version ${version} before the append`, options);
  }
}

/**
 * The gate's event store: each operation's stream, with its projection, its sealed password,
 * its deadline and the gate's outbox written in the same statement as its events. It takes no
 * decisions: the command handlers read a stream, decide, and append at the version they read.
 *
 * An append is optimistic and one SQL statement (one round trip, atomic on its own; ADR 0012):
 * the stream's `(operation_id, sequence)` key is the concurrency check, so a writer that lost
 * the race for a sequence number writes nothing and gets a StreamConflict. This replaced an
 * advisory lock and seven statements in an interactive transaction (docs/benchmarks.md).
 */
@Injectable()
export class OperationStore {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  /** Runs `work` in one transaction, with a store (and its `Sql`) whose statements run in it. */
  transaction<T>(work: (store: OperationStore, tx: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((tx) => work(new OperationStore(tx), tx));
  }

  /** The operation's stream, its version and its sealed password, in one round trip. */
  async read(operationId: string): Promise<OperationStream> {
    const rows = await this.sql.query<{ payload: unknown; sequence: number; sealed: string | null }>(Prisma.sql`
      SELECT payload, sequence, (SELECT sealed FROM sealed_credentials WHERE operation_id = ${operationId}::uuid) AS sealed
        FROM operation_events WHERE operation_id = ${operationId}::uuid ORDER BY sequence`);
    const sealed = rows[0]?.sealed;
    return {
      operationId,
      events: rows.map((r) => EventEnvelope.parse(r.payload)),
      version: rows.at(-1)?.sequence ?? 0,
      sealed: sealed ? (JSON.parse(sealed) as SealedCredential) : null,
    };
  }

  /**
   * Appends `change` to `stream` at the version it was read at, refreshes the projection and
   * queues the outbox messages, in one statement. An operation that ends in this append keeps
   * no sealed password and no pending deadline. Throws StreamConflict when another writer
   * appended first.
   */
  async append(stream: OperationStream, change: StreamChange): Promise<Appended> {
    const { operationId, version } = stream;
    const all = [...stream.events, ...change.events];
    const state = replay(all);
    const first = all[0];
    if (!first || change.events.length === 0) throw new Error(`operation ${operationId}: nothing to append`);
    const events = JSON.stringify(
      change.events.map((e, i) => ({
        event_id: e.eventId,
        sequence: version + i + 1,
        type: e.type,
        payload: e,
        occurred_at: e.occurredAt,
      })),
    );
    const ended = isTerminal(state.status) && !isTerminal(replay(stream.events).status);
    const appended = { events: change.events, queued: 0, state, ended, requestedAt: first.occurredAt };
    if (state.status === 'initial') {
      await this.conflicting(stream, () =>
        this.sql.query(Prisma.sql`
        INSERT INTO operation_events (event_id, operation_id, sequence, type, payload, occurred_at)
        SELECT e.event_id, ${operationId}::uuid, e.sequence, e.type, e.payload,
               e.occurred_at::timestamptz AT TIME ZONE 'UTC'
          FROM jsonb_to_recordset(${events}::jsonb)
            AS e(event_id uuid, sequence int, type text, payload jsonb, occurred_at text)
        RETURNING 1`),
      );
      return appended;
    }
    const terminal = isTerminal(state.status);
    const sealed = !terminal && change.sealed ? change.sealed : null;
    const deadlineSeconds = change.deadlineMs === undefined ? null : change.deadlineMs / 1000;
    const now = new Date().toISOString();
    const [op] = await this.conflicting(stream, () =>
      this.sql.query<{ created_at: Date; updated_at: Date; completed_at: Date | null }>(Prisma.sql`
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
      ), messages AS (${outboxInsert(GATE_PRODUCER, change.outbox)}
      ), unsealing AS (
        DELETE FROM sealed_credentials WHERE operation_id = ${operationId}::uuid AND ${terminal}
        RETURNING 1
      ), closing AS (${deadlineClose(operationId, Prisma.sql`${terminal}`)}
      )
      SELECT created_at, updated_at, completed_at FROM projection`),
    );
    if (!op) throw new Error(`operation ${operationId}: its projection was not written`);
    const view = toView(
      {
        id: operationId,
        status: state.status,
        kind: state.request.kind,
        channel: state.request.channel,
        target_upn: state.request.target.userPrincipalName,
        domain_id: state.domainId,
        caller: state.caller,
        reason_code: state.reason?.code ?? null,
        reason_message: state.reason?.message ?? null,
        created_at: op.created_at,
        updated_at: op.updated_at,
        completed_at: op.completed_at,
      },
      all,
    );
    return { ...appended, queued: change.outbox.length, view };
  }

  /**
   * Operations whose deadline passed while no executor had claimed them, oldest first. A
   * candidate only: the expiry settles each one against a concurrent claim (`expireDeadline`).
   */
  overdue(limit: number): Promise<string[]> {
    return overdueDeadlines(this.sql, limit);
  }

  /** A lost race for a sequence number (or an event id another writer stored) is a conflict. */
  private async conflicting<T>(stream: OperationStream, statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (error) {
      if (isUniqueViolation(error)) throw new StreamConflict(stream.operationId, stream.version, { cause: error });
      throw error;
    }
  }
}
