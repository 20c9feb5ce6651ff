import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@writeback/observability';
import { BackgroundLoop, LOGGER } from '@writeback/platform';
import { OperationChanges } from './operation-changes';
import { OperationViews } from './store/operation-views';

/** How soon a waiting caller hears of an end recorded by another gate replica. */
export const SWEEP_MS = 1000;

/**
 * With several gate replicas, an operation's events may be recorded by another replica than the
 * one holding its waiting caller, which then hears nothing in-process. Once a second, one query
 * asks which of the operations waited on here have ended, and wakes their waiters; each waiter
 * then reads its operation once. (It replaced a re-read per waiter per second.)
 */
@Injectable()
export class WaiterSweep extends BackgroundLoop {
  constructor(
    private readonly changes: OperationChanges,
    private readonly views: OperationViews,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super();
  }

  protected async run(): Promise<void> {
    while (this.active) {
      await this.idle(SWEEP_MS);
      await this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'waiter sweep failed; will retry'));
    }
  }

  /** Wakes the waiters of every watched operation that has ended. */
  async sweep(): Promise<void> {
    const watched = this.changes.watched();
    if (watched.length === 0) return;
    for (const operationId of await this.views.ended(watched)) this.changes.changed(operationId);
  }
}
