import { Module } from '@nestjs/common';
import {
  AuthModule,
  domainConfigClientFromEnv,
  HealthController,
  openApiController,
  OUTBOX_PRODUCER,
  OutboxRelay,
  PrismaModule,
} from '@writeback/platform';
import { buildOpenApiDocument } from './openapi/openapi.document';
import { EventsConsumer } from './operations/events.consumer';
import { OperationChanges } from './operations/operation-changes';
import { OperationsController } from './operations/operations.controller';
import { GATE_PRODUCER, OperationsRepository } from './operations/operations.repository';
import { DOMAIN_CONFIG, OperationsService } from './operations/operations.service';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [OperationsController, EventsConsumer, HealthController, openApiController(buildOpenApiDocument)],
  providers: [
    OperationChanges,
    OperationsRepository,
    OperationsService,
    OutboxRelay,
    { provide: OUTBOX_PRODUCER, useValue: GATE_PRODUCER },
    { provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv },
  ],
})
export class PolicyGateModule {}
