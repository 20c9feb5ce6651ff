import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  EventEnvelope,
  OperationStatus,
  type OperationView,
  type SealedCredential,
} from '@writeback/contracts';
import { isTerminal, replay, type OperationState } from '@writeback/domain';
import type { PrismaClient } from '@writeback/persistence';
import type { OutgoingMessage } from '@writeback/messaging';
import { PRISMA, writeOutbox } from '@writeback/platform';
import { OperationChanges } from './operation-changes';

export const GATE_PRODUCER = 'policy-gate';

/** What an append changed: the operation's new state, and when it was requested. */
export interface Appended {
  state: OperationState;
  requestedAt: string;
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

  async sealedCredential(operationId: string): Promise<SealedCredential | null> {
    const row = await this.prisma.sealedCredential.findUnique({ where: { operationId } });
    return row ? (JSON.parse(row.sealed) as SealedCredential) : null;
  }

  /**
   * Appends events not seen before (by eventId), refreshes the projection and queues the
   * messages to publish, in one transaction. Returns null when every event was already recorded.
   */
  async append(
    operationId: string,
    envelopes: readonly EventEnvelope[],
    effects: { sealed?: { domainId: string; credential: SealedCredential }; outbox?: readonly OutgoingMessage[] } = {},
  ): Promise<Appended | null> {
    const { sealed, outbox = [] } = effects;
    const appended = await this.prisma.$transaction(async (tx) => {
      // One writer per operation at a time; sequence numbers stay gapless.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${operationId}))`;
      const existing = await tx.operationEvent.findMany({ where: { operationId }, orderBy: { sequence: 'asc' } });
      const known = new Set(existing.map((e) => e.eventId));
      const fresh = envelopes.filter((e) => !known.has(e.eventId));
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
      const all = [...existing.map((r) => EventEnvelope.parse(r.payload)), ...fresh];
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
      await tx.operation.upsert({
        where: { id: operationId },
        create: {
          id: operationId,
          ...projection,
          correlationId: first.correlationId,
          traceparent: first.traceparent,
        },
        update: projection,
      });
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
      await writeOutbox(tx, GATE_PRODUCER, outbox);
      // Once an operation is over, nobody needs its sealed password any more.
      if (isTerminal(state.status)) await tx.sealedCredential.deleteMany({ where: { operationId } });
      return { state, requestedAt: first.occurredAt };
    });
    if (appended) this.changes.changed(operationId);
    return appended;
  }

  async view(operationId: string): Promise<OperationView | null> {
    const op = await this.prisma.operation.findUnique({ where: { id: operationId } });
    if (!op) return null;
    const history = await this.prisma.operationEvent.findMany({
      where: { operationId },
      orderBy: { sequence: 'asc' },
      select: { type: true, occurredAt: true },
    });
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
}
