import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@writeback/observability';
import { BackgroundLoop, LOGGER } from '@writeback/platform';
import { GATE_OPTIONS, type GateOptions } from './gate-options';
import { ExpireOperationHandler } from './handlers/expire-operation.handler';
import { OperationStore } from './store/operation-store';

const BATCH = 100;

/**
 * Ends operations that no executor claimed before their deadline. Every gate replica runs one;
 * the compare-and-set in `ExpireOperationHandler` makes concurrent watches harmless.
 */
@Injectable()
export class DeadlineWatch extends BackgroundLoop {
  constructor(
    private readonly store: OperationStore,
    private readonly expire: ExpireOperationHandler,
    @Inject(GATE_OPTIONS) private readonly options: GateOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super();
  }

  protected async run(): Promise<void> {
    // A tenth of the deadline, within [100 ms, 1 s]: an expiry is reported soon after it is due.
    const interval = Math.min(1000, Math.max(100, Math.floor(this.options.deadlineMs / 10)));
    while (this.active) {
      try {
        for (const operationId of await this.store.overdue(BATCH)) {
          if (!this.active) break;
          await this.expire.handle(operationId);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'deadline watch failed; will retry');
      }
      await this.idle(interval);
    }
  }
}
