import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@writeback/contracts';
import { OwnEvents } from '../own-events';
import type { Appended } from '../store/operation-store';
import { CommandHandling } from './command-handling';
import { observeEnd } from './operation-metrics';

/**
 * Every lifecycle event from the bus but the request: keeps the operation's stream and
 * projection current. The gate's own decisions come back too, already recorded, and are
 * skipped without a read; an event the stream holds already (a redelivery, another replica's
 * decision) appends nothing.
 */
@Injectable()
export class RecordEventHandler {
  constructor(
    private readonly commands: CommandHandling,
    private readonly own: OwnEvents,
  ) {}

  /** The event appended, or null when it was recorded already. */
  async handle(event: EventEnvelope): Promise<Appended | null> {
    if (this.own.appendedHere(event.eventId)) return null;
    const appended = await this.commands.handle(event.correlationId, (stream) =>
      stream.events.some((e) => e.eventId === event.eventId) ? null : { events: [event], outbox: [] },
    );
    observeEnd(appended);
    return appended;
  }
}
