import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  AuthModule,
  DomainConfigModule,
  HealthController,
  openApiController,
  outboxRelayProviders,
  PrismaModule,
  SERVICE_SETTINGS,
  type GateSettings,
} from '@writeback/platform';
import { GATE_OPTIONS, gateOptionsOf } from './operations/gate-options';
import { buildOpenApiDocument } from './openapi/openapi.document';
import { EventsConsumer } from './operations/events.consumer';
import { OperationChanges } from './operations/operation-changes';
import { OperationsController } from './operations/operations.controller';
import { GATE_PRODUCER, OperationsRepository } from './operations/operations.repository';
import { OperationsService } from './operations/operations.service';
import { DeadlineWatch } from './operations/deadline.watch';
import { WaiterSweep } from './operations/waiter-sweep';
import { operationThrottles } from './operations/operation-throttle.guard';

@Module({
  imports: [
    PrismaModule,
    AuthModule,
    DomainConfigModule.following('policy-gate'),
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_SETTINGS],
      useFactory: (settings: GateSettings) => operationThrottles(gateOptionsOf(settings)),
    }),
  ],
  controllers: [OperationsController, EventsConsumer, HealthController, openApiController(buildOpenApiDocument)],
  providers: [
    OperationChanges,
    OperationsRepository,
    OperationsService,
    DeadlineWatch,
    WaiterSweep,
    ...outboxRelayProviders({ producer: GATE_PRODUCER }),
    { provide: GATE_OPTIONS, inject: [SERVICE_SETTINGS], useFactory: gateOptionsOf },
  ],
})
export class PolicyGateModule {}
