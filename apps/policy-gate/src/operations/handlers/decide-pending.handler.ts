import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@writeback/contracts';
import { decideGate, replay } from '@writeback/domain';
import { inSpan, type Logger, type Span } from '@writeback/observability';
import { DOMAIN_CONFIG, DomainConfigClient, LOGGER } from '@writeback/platform';
import { OwnEvents } from '../own-events';
import { OperationStore, type Appended } from '../store/operation-store';
import { CommandHandling, envelopeDecision } from './command-handling';
import { observeDecision, observeEnd, rejectionCode } from './operation-metrics';

/**
 * PasswordChangeRequested from the bus. A request is decided where it is accepted, so this
 * decides only what no gate decided yet: a request recorded by a gate version that left deciding
 * to this consumer (a rolling upgrade). The gate's own requests are skipped without a read;
 * another replica's cost one read.
 */
@Injectable()
export class DecidePendingHandler {
  constructor(
    private readonly store: OperationStore,
    private readonly commands: CommandHandling,
    private readonly own: OwnEvents,
    @Inject(DOMAIN_CONFIG) private readonly domains: Pick<DomainConfigClient, 'get'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The decision appended, or null when there was nothing to decide (or the deadline won). */
  handle(requested: EventEnvelope): Promise<Appended | null> {
    if (this.own.appendedHere(requested.eventId)) return Promise.resolve(null);
    return inSpan('writeback decide', {}, (span) => this.decide(requested, span));
  }

  private async decide(requested: EventEnvelope, span: Span): Promise<Appended | null> {
    const operationId = requested.correlationId;
    const read = await this.store.read(operationId);
    const state = replay(read.events);
    if (state.status !== 'requested') return null;
    const domain = state.domainId ? await this.domains.get(state.domainId) : null;
    // Decided on the stream as read; after a lost race, on the stream as it then stands, where a
    // decision (another gate's) or an end (the deadline's) leaves nothing to decide.
    const appended = await this.commands.handle(
      operationId,
      (stream) => {
        const decision = decideGate(
          { type: 'DecidePendingWriteback', domain, credential: stream.sealed, now: new Date().toISOString() },
          replay(stream.events),
        );
        return envelopeDecision(decision, operationId, requested.eventId);
      },
      read,
    );
    const verdict = appended?.events[0];
    const reasonCode = rejectionCode(verdict);
    span.setAttributes({
      'writeback.decision': verdict?.type ?? 'none',
      ...(reasonCode ? { 'writeback.reason': reasonCode } : {}),
    });
    observeDecision(appended, requested);
    observeEnd(appended);
    this.logger.info({ operationId, decision: verdict?.type, reasonCode }, 'writeback decided');
    return appended;
  }
}
