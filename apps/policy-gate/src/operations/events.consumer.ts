import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeEvent } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { inSpan, SpanKind } from '@writeback/observability';
import { OperationsService } from './operations.service';

@BusConsumer()
export class EventsConsumer {
  constructor(private readonly service: OperationsService) {}

  @EventPattern('events')
  async onEvent(@Payload() message: IncomingMessage): Promise<void> {
    const event = decodeEvent(message.value);
    await inSpan(
      `${message.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: event.traceparent,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.topic,
          'writeback.operation.id': event.correlationId,
          'writeback.event.type': event.type,
        },
      },
      () => (event.type === 'PasswordChangeRequested' ? this.service.decide(event) : this.service.record(event)),
    );
  }
}
