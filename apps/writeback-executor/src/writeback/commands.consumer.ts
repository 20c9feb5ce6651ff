import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { WritebackService } from './writeback.service';

@BusConsumer()
export class CommandsConsumer {
  constructor(private readonly writeback: WritebackService) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    await this.writeback.apply(decodeCommand(message.value), { heartbeat: message.heartbeat });
  }
}
