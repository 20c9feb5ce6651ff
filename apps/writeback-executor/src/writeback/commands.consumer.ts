import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { ApplyWritebackHandler } from './apply-writeback.handler';

@BusConsumer()
export class CommandsConsumer {
  constructor(private readonly handler: ApplyWritebackHandler) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    await this.handler.handle(decodeCommand(message.value), { heartbeat: message.heartbeat });
  }
}
