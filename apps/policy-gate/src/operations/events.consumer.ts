import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeEvent } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { DecidePendingHandler } from './handlers/decide-pending.handler';
import { RecordEventHandler } from './handlers/record-event.handler';

@BusConsumer()
export class EventsConsumer {
  constructor(
    private readonly decidePending: DecidePendingHandler,
    private readonly recordEvent: RecordEventHandler,
  ) {}

  @EventPattern('events')
  async onEvent(@Payload() message: IncomingMessage): Promise<void> {
    const event = decodeEvent(message.value);
    await (event.type === 'PasswordChangeRequested'
      ? this.decidePending.handle(event)
      : this.recordEvent.handle(event));
  }
}
