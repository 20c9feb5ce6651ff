import { EventPattern, Payload } from '@nestjs/microservices';
import { decodeConfigEvent, decodeEvent, targetOf } from '@writeback/contracts';
import { BusConsumer, type IncomingMessage } from '@writeback/messaging';
import { AuditRepository } from './audit.repository';

@BusConsumer()
export class AuditConsumer {
  constructor(private readonly audit: AuditRepository) {}

  @EventPattern('events')
  async onEvent(@Payload() message: IncomingMessage): Promise<void> {
    const event = decodeEvent(message.value);
    await this.audit.record(event, event.data.domainId, targetOf(event));
  }

  @EventPattern('config')
  async onConfigChange(@Payload() message: IncomingMessage): Promise<void> {
    const event = decodeConfigEvent(message.value);
    await this.audit.record(event, event.data.domainId, null);
  }
}
