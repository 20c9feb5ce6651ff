import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { inSpan, SpanKind } from '@writeback/observability';
import { WritebackService } from './writeback.service';

@BusConsumer()
export class CommandsConsumer {
  constructor(private readonly writeback: WritebackService) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    const command = decodeCommand(message.value);
    await inSpan(
      `${message.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: command.traceparent,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.topic,
          'writeback.operation.id': command.correlationId,
        },
      },
      () => this.writeback.apply(command),
    );
  }
}
