import { EventPattern, Payload } from '@nestjs/microservices';
import { ContractViolation, decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { ApplyWritebackHandler } from './apply-writeback.handler';

@BusConsumer()
export class CommandsConsumer {
  constructor(private readonly handler: ApplyWritebackHandler) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    const command = decodeCommand(message.value);
    if (command.type !== 'ApplyPasswordWriteback') {
      throw new ContractViolation(`this executor does not serve ${command.type}`, []);
    }
    await this.handler.handle(command, { heartbeat: message.heartbeat });
  }
}
