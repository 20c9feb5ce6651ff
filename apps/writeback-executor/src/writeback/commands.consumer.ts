import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeCommand } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { ApplyWritebackHandler } from './apply-writeback.handler';
import { LookupUserHandler } from './lookup-user.handler';

@BusConsumer()
export class CommandsConsumer {
  constructor(
    private readonly apply: ApplyWritebackHandler,
    private readonly lookup: LookupUserHandler,
  ) {}

  @EventPattern('commands')
  async onCommand(@Payload() message: IncomingMessage): Promise<void> {
    const command = decodeCommand(message.value);
    switch (command.type) {
      case 'ApplyPasswordWriteback':
        await this.apply.handle(command, { heartbeat: message.heartbeat });
        return;
      case 'LookupDirectoryUser':
        await this.lookup.handle(command);
        return;
      default: {
        const unreachable: never = command;
        throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
