import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export interface ChangeWatch {
  /** Resolves when the operation changes in this process, or when the time is up. */
  changed: Promise<void>;
  cancel(): void;
}

/**
 * Wakes the callers holding `GET /v1/operations/:id?waitSeconds` as soon as this replica records
 * an event of their operation, instead of each of them querying the database every 100 ms.
 * Events recorded by another replica are still seen, by the waiters' periodic re-read.
 */
@Injectable()
export class OperationChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  changed(operationId: string): void {
    this.emitter.emit(operationId);
  }

  watch(operationId: string, timeoutMs: number): ChangeWatch {
    let finish = (): void => undefined;
    const changed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      finish = () => {
        clearTimeout(timer);
        this.emitter.off(operationId, finish);
        resolve();
      };
      this.emitter.on(operationId, finish);
    });
    return { changed, cancel: () => finish() };
  }
}
