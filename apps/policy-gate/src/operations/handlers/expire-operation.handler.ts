import { Inject, Injectable } from '@nestjs/common';
import { decideGate, Reasons, replay } from '@writeback/domain';
import type { Logger } from '@writeback/observability';
import { expireDeadline } from '@writeback/persistence';
import { LOGGER } from '@writeback/platform';
import { CommandHandling, envelopeDecision } from './command-handling';
import { observeEnd } from './operation-metrics';

/**
 * Ends an operation whose deadline passed before any executor claimed it (ADR 0011). The
 * deadline's compare-and-set and the append commit in one transaction, so whichever of the
 * expiry and the executor's claim commits first wins: an operation is never reported failed
 * while an executor may write it.
 */
@Injectable()
export class ExpireOperationHandler {
  constructor(
    private readonly commands: CommandHandling,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** False when an executor claimed it first (or the deadline was already settled). */
  async handle(operationId: string): Promise<boolean> {
    const expired = await this.commands.handleGuarded(
      operationId,
      (tx) => expireDeadline(tx, operationId),
      (stream) =>
        envelopeDecision(
          decideGate({ type: 'ExpireWriteback', now: new Date().toISOString() }, replay(stream.events)),
          operationId,
          null,
        ),
    );
    if (expired === false) return false;
    observeEnd(expired);
    this.logger.warn({ operationId, reasonCode: Reasons.DEADLINE_EXCEEDED.code }, 'writeback deadline passed');
    return true;
  }
}
