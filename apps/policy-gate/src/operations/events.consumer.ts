import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeEvent } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { OperationsService } from './operations.service';

@BusConsumer()
export class EventsConsumer {
  constructor(private readonly service: OperationsService) {}

  @EventPattern('events')
  async onEvent(@Payload() message: IncomingMessage): Promise<void> {
    const event = decodeEvent(message.value);
    await (event.type === 'PasswordChangeRequested' ? this.service.decidePending(event) : this.service.record(event));
  }
}
