import { Inject, Injectable } from '@nestjs/common';
import type { ConfigEventEnvelope, EventEnvelope } from '@writeback/contracts';
import type { AuditRecord, PrismaClient } from '@writeback/persistence';
import { PRISMA } from '@writeback/platform';

export interface AuditEntry {
  eventId: string;
  operationId: string;
  type: string;
  domainId: string | null;
  targetUpn: string | null;
  occurredAt: string;
  recordedAt: string;
  correlationId: string;
  causationId: string | null;
  traceparent: string | null;
  data: unknown;
}

function toEntry(r: AuditRecord): AuditEntry {
  const payload = r.payload as unknown as EventEnvelope | ConfigEventEnvelope;
  return {
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

@Injectable()
export class AuditRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Append-only; a redelivered event (same eventId) is recorded once. Configuration changes
   * are recorded under their changeId in place of an operation id.
   */
  async record(
    event: EventEnvelope | ConfigEventEnvelope,
    domainId: string | null,
    targetUpn: string | null,
  ): Promise<void> {
    await this.prisma.auditRecord.createMany({
      data: [
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
      ],
      skipDuplicates: true,
    });
  }

  async history(operationId: string): Promise<AuditEntry[]> {
    const rows = await this.prisma.auditRecord.findMany({
      where: { operationId },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toEntry);
  }

  /** A domain's configuration changes, oldest first. */
  async domainChanges(domainId: string): Promise<AuditEntry[]> {
    const rows = await this.prisma.auditRecord.findMany({
      where: { domainId, type: 'DomainConfigurationChanged' },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toEntry);
  }
}
