import { Module } from '@nestjs/common';
import { DomainConfigClient, HealthController, PrismaModule, requireEnv } from '@writeback/platform';
import { EventsConsumer } from './operations/events.consumer';
import { OperationsController } from './operations/operations.controller';
import { OperationsRepository } from './operations/operations.repository';
import { DOMAIN_CONFIG, OperationsService } from './operations/operations.service';

@Module({
  imports: [PrismaModule],
  controllers: [OperationsController, EventsConsumer, HealthController],
  providers: [
    OperationsRepository,
    OperationsService,
    { provide: DOMAIN_CONFIG, useFactory: () => new DomainConfigClient(requireEnv('WRITEBACK_CONFIG_SERVICE_URL')) },
  ],
})
export class PolicyGateModule {}
