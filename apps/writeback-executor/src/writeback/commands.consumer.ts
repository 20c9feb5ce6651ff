import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { inConsumerSpan } from '@writeback/platform';
import { WritebackService } from './writeback.service';

@BusConsumer()
export class CommandsConsumer {
  constructor(private readonly writeback: WritebackService) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    const command = decodeCommand(message.value);
    await inConsumerSpan(message, command, () => this.writeback.apply(command));
  }
}
