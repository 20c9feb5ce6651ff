import { Injectable } from '@nestjs/common';
import type { OperationView } from '@writeback/contracts';
import { EventEmitter } from 'node:events';

export interface ChangeWatch {
  /**
   * Resolves when the operation changes in this process (with its view as committed, when the
   * change carried one), or with undefined when the time is up or the watch is cancelled.
   */
  changed: Promise<OperationView | undefined>;
  cancel(): void;
}

/**
 * Wakes the callers holding `GET /v1/operations/:id?waitSeconds` as soon as this replica records
 * an event of their operation, instead of each of them querying the database. Operations that
 * another replica ended are found by `WaiterSweep`, one query for all the waiters.
 */
@Injectable()
export class OperationChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  changed(operationId: string, view?: OperationView): void {
    this.emitter.emit(operationId, view);
  }

  /** The operations somebody is waiting on now. */
  watched(): string[] {
    return this.emitter.eventNames().filter((name): name is string => typeof name === 'string');
  }

  watch(operationId: string, timeoutMs: number): ChangeWatch {
    let finish = (_view?: OperationView): void => undefined;
    const changed = new Promise<OperationView | undefined>((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      finish = (view) => {
        clearTimeout(timer);
        this.emitter.off(operationId, finish);
        resolve(view);
      };
      this.emitter.on(operationId, finish);
    });
    return { changed, cancel: () => finish() };
  }
}
