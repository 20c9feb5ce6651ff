import { Inject, Injectable } from '@nestjs/common';
import {
  envelope,
  FilterText,
  type AuditMessage,
  type AuditRecordView,
  type Caller,
  type ConfigEventEnvelope,
  type EventEnvelope,
} from '@writeback/contracts';
export type { AuditRecordView } from '@writeback/contracts';
import { AuditLedger, type ChainedRecord } from '@writeback/audit-ledger';
import { inSpan, metrics, secondsSince } from '@writeback/observability';
import { z } from 'zod';
import { auditMessage, OutboxRelay, outboxInsert } from '@writeback/messaging';
import { Prisma, type AuditRecord, type PrismaClient, type Sql } from '@writeback/persistence';
import { PRISMA, SQL } from '@writeback/platform';

export const AUDIT_PRODUCER = 'audit-service';
/**
 * How long the audit's outbox relay gathers records before publishing them on
 * `writeback.audit.v1`. Nobody waits on that topic the way a user waits on a writeback, and a
 * round per one or two records cost more round trips than the records themselves
 * (docs/benchmarks.md): a record is published within about this long of being written.
 */
export const AUDIT_PUBLISH_LINGER_MS = 200;

/** Who caused the event: the API caller of a request, the operator of a configuration change. */
function callerOf(event: EventEnvelope | ConfigEventEnvelope): Caller | null {
  if (event.type === 'PasswordChangeRequested') return event.data.caller;
  if (event.type === 'DomainConfigurationChanged') return event.data.changedBy;
  return (event.data as { caller?: Caller }).caller ?? null;
}

/**
 * The public view of a record: what other services may know, never a secret. Its `recordId`
 * is a placeholder: PostgreSQL assigns the id in the statement that queues it (`append`).
 */
function publicRecord(
  event: EventEnvelope | ConfigEventEnvelope,
  record: ChainedRecord,
  caller: Caller | null,
): AuditMessage {
  const data = event.data as { reason?: { code: string } };
  const traceId = event.traceparent?.split('-')[1] ?? null;
  return envelope(
    {
      type: 'AuditRecorded',
      version: 1,
      data: {
        recordId: '0',
        chain: record.chain,
        chainSeq: record.chainSeq.toString(),
        prevHash: record.prevHash,
        hash: record.hash,
        eventId: record.eventId,
        eventType: record.type,
        occurredAt: record.occurredAt.toISOString(),
        recordedAt: record.recordedAt.toISOString(),
        operationId: record.operationId,
        domainId: record.domainId,
        targetUpn: record.targetUpn,
        caller,
        reasonCode: data.reason?.code ?? null,
        traceId: traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null,
      },
    },
    { correlationId: record.operationId, causationId: record.eventId, traceparent: event.traceparent },
  );
}

export const OUTCOME_TYPES = {
  applied: 'WritebackApplied',
  rejected: 'WritebackRejected',
  failed: 'WritebackFailed',
} as const;

/** An instant: an ISO 8601 date or date-time with its offset; the document says so, unlike a bare coercion. */
export const Instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).pipe(z.coerce.date());

/** A record id: at most 18 digits stays inside PostgreSQL's bigint, so no id the database cannot compare reaches it. */
export const RecordPosition = z.string().regex(/^\d{1,18}$/, 'must be a cursor from a previous page');

/** A filter's text: PostgreSQL's text cannot hold NUL, so one in a filter is a 400, not a 500. */

export const AuditQuery = z.object({
  operationId: z.uuid().optional(),
  targetUpn: FilterText(256).optional(),
  domainId: FilterText(63).optional(),
  outcome: z.enum(['applied', 'rejected', 'failed']).optional(),
  type: FilterText(100).optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  cursor: RecordPosition.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  format: z.enum(['json', 'csv']).default('json'),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

function toView(r: AuditRecord): AuditRecordView {
  const payload = r.payload as unknown as EventEnvelope | ConfigEventEnvelope;
  return {
    recordId: r.id.toString(),
    hash: r.hash,
    eventId: r.eventId,
    operationId: r.operationId,
    type: r.type,
    domainId: r.domainId,
    targetUpn: r.targetUpn,
    occurredAt: r.occurredAt.toISOString(),
    recordedAt: r.recordedAt.toISOString(),
    correlationId: r.correlationId,
    causationId: payload.causationId,
    traceparent: r.traceparent,
    data: payload.data,
  };
}

/** Operations whose caller the audit service keeps in memory (a few MiB at most). */
const RECENT_CALLERS = 10_000;

@Injectable()
export class AuditRepository {
  private readonly ledger: AuditLedger;
  /**
   * The callers of the operations recorded lately, newest last: an operation's later records
   * name its request's caller without reading the request back (its events share a key, so
   * one consumer sees them in order). A miss, after a restart or a rebalance, reads it.
   */
  private readonly recentCallers = new Map<string, Caller>();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(SQL) private readonly sql: Sql,
    private readonly outbox: OutboxRelay,
  ) {
    this.ledger = new AuditLedger(sql);
  }

  /**
   * Append-only; a redelivered event (same eventId) is recorded once. Configuration changes
   * are recorded under their changeId in place of an operation id.
   */
  record(event: EventEnvelope | ConfigEventEnvelope, domainId: string | null, targetUpn: string | null): Promise<void> {
    return inSpan('audit write', { attributes: { 'writeback.message.type': event.type } }, async (span) => {
      const appended = await this.append(event, domainId, targetUpn);
      span.setAttribute('writeback.audit.appended', appended);
      if (appended)
        metrics.stageDuration.observe({ stage: 'audit', domain: domainId ?? 'none' }, secondsSince(event.occurredAt));
    });
  }

  private async append(
    event: EventEnvelope | ConfigEventEnvelope,
    domainId: string | null,
    targetUpn: string | null,
  ): Promise<boolean> {
    // Records after an operation's request name its caller too, read from the request's record.
    const own = callerOf(event);
    const caller =
      own ?? this.recentCallers.get(event.correlationId) ?? (await this.requestCallerOf(event.correlationId));
    if (caller) this.rememberCaller(event.correlationId, caller);
    const appended = await this.ledger.append(
      {
        eventId: event.eventId,
        operationId: event.correlationId,
        type: event.type,
        domainId,
        targetUpn,
        occurredAt: new Date(event.occurredAt),
        correlationId: event.correlationId,
        traceparent: event.traceparent,
        payload: event,
      },
      // Queued only with a record, and carrying the id the same statement gives it.
      (record, recordId) =>
        outboxInsert(
          AUDIT_PRODUCER,
          [auditMessage(publicRecord(event, record, caller))],
          Prisma.sql`${recordId} IS NOT NULL`,
          {
            path: ['data', 'recordId'],
            to: recordId,
          },
        ),
    );
    if (appended) this.outbox.kick();
    return appended;
  }

  async history(operationId: string): Promise<AuditRecordView[]> {
    const rows = await this.prisma.auditRecord.findMany({
      where: { operationId },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toView);
  }

  /** A domain's configuration changes, oldest first. */
  async domainChanges(domainId: string): Promise<AuditRecordView[]> {
    const rows = await this.prisma.auditRecord.findMany({
      where: { domainId, type: 'DomainConfigurationChanged' },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toView);
  }

  private rememberCaller(operationId: string, caller: Caller): void {
    this.recentCallers.delete(operationId);
    this.recentCallers.set(operationId, caller);
    if (this.recentCallers.size > RECENT_CALLERS) {
      const oldest = this.recentCallers.keys().next().value;
      if (oldest !== undefined) this.recentCallers.delete(oldest);
    }
  }

  private async requestCallerOf(operationId: string): Promise<Caller | null> {
    const [request] = await this.sql.query<{ payload: EventEnvelope }>(Prisma.sql`
      SELECT payload FROM audit_records
       WHERE operation_id = ${operationId}::uuid AND type = 'PasswordChangeRequested' LIMIT 1`);
    return request ? callerOf(request.payload) : null;
  }

  /**
   * The caller of each operation, from its request record (or, for a configuration change, the
   * operator who made it): lifecycle events after the request do not repeat it.
   */
  async callersOf(operationIds: readonly string[]): Promise<Map<string, Caller>> {
    const rows = await this.prisma.auditRecord.findMany({
      where: {
        operationId: { in: [...new Set(operationIds)] },
        type: { in: ['PasswordChangeRequested', 'DomainConfigurationChanged'] },
      },
      select: { operationId: true, payload: true },
    });
    const callers = new Map<string, Caller>();
    for (const row of rows) {
      const caller = callerOf(row.payload as unknown as EventEnvelope | ConfigEventEnvelope);
      if (caller) callers.set(row.operationId, caller);
    }
    return callers;
  }

  /** Records matching every given filter, oldest first, after `cursor` (a record id). */
  async query(filter: AuditQuery): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
    const types = filter.outcome ? [OUTCOME_TYPES[filter.outcome]] : filter.type ? [filter.type] : undefined;
    const rows = await this.prisma.auditRecord.findMany({
      where: {
        ...(filter.operationId ? { operationId: filter.operationId } : {}),
        ...(filter.targetUpn ? { targetUpn: { equals: filter.targetUpn, mode: 'insensitive' } } : {}),
        ...(filter.domainId ? { domainId: filter.domainId } : {}),
        ...(types ? { type: { in: types } } : {}),
        ...(filter.from || filter.to
          ? { occurredAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
          : {}),
        ...(filter.cursor ? { id: { gt: BigInt(filter.cursor) } } : {}),
      },
      orderBy: { id: 'asc' },
      take: filter.limit + 1,
    });
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map(toView),
      nextCursor: rows.length > filter.limit ? (page[page.length - 1] as AuditRecord).id.toString() : null,
    };
  }
}
