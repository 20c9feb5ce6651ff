import { EventPattern, Payload } from '@nestjs/microservices';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { DeadLettersRepository } from './dead-letters.repository';

@BusConsumer()
export class DeadLettersConsumer {
  constructor(private readonly deadLetters: DeadLettersRepository) {}

  @EventPattern('deadLetters')
  async onDeadLetter(@Payload() message: IncomingMessage): Promise<void> {
    await this.deadLetters.record(message);
  }
}
