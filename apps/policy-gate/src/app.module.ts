import { Module } from '@nestjs/common';
import {
  DomainConfigClient,
  HealthController,
  OUTBOX_PRODUCER,
  OutboxRelay,
  PrismaModule,
  requireEnv,
} from '@writeback/platform';
import { EventsConsumer } from './operations/events.consumer';
import { OperationsController } from './operations/operations.controller';
import { GATE_PRODUCER, OperationsRepository } from './operations/operations.repository';
import { DOMAIN_CONFIG, OperationsService } from './operations/operations.service';

@Module({
  imports: [PrismaModule],
  controllers: [OperationsController, EventsConsumer, HealthController],
  providers: [
    OperationsRepository,
    OperationsService,
    OutboxRelay,
    { provide: OUTBOX_PRODUCER, useValue: GATE_PRODUCER },
    { provide: DOMAIN_CONFIG, useFactory: () => new DomainConfigClient(requireEnv('WRITEBACK_CONFIG_SERVICE_URL')) },
  ],
})
export class PolicyGateModule {}
