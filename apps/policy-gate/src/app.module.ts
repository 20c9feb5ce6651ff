import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import {
  AuthModule,
  DomainConfigModule,
  HealthController,
  openApiController,
  outboxRelayProviders,
  PrismaModule,
  ScimAuthModule,
  SERVICE_SETTINGS,
  type GateSettings,
} from '@writeback/platform';
import { GATE_OPTIONS, gateOptionsOf } from './operations/gate-options';
import { buildOpenApiDocument } from './openapi/openapi.document';
import { EventsConsumer } from './operations/events.consumer';
import { OperationChanges } from './operations/operation-changes';
import { OperationsController } from './operations/operations.controller';
import { DeadlineWatch } from './operations/deadline.watch';
import { AcceptWritebackHandler } from './operations/handlers/accept-writeback.handler';
import { CommandHandling } from './operations/handlers/command-handling';
import { DecidePendingHandler } from './operations/handlers/decide-pending.handler';
import { ExpireOperationHandler } from './operations/handlers/expire-operation.handler';
import { RecordEventHandler } from './operations/handlers/record-event.handler';
import { OwnEvents } from './operations/own-events';
import { GATE_PRODUCER, OperationStore } from './operations/store/operation-store';
import { OperationViews } from './operations/store/operation-views';
import { WaiterSweep } from './operations/waiter-sweep';
import { operationThrottles } from './operations/operation-throttle.guard';
import { DirectoryLookups } from './scim/directory-lookups';
import { ScimController } from './scim/scim.controller';
import { ScimIdentities } from './scim/scim-identities.store';
import { SCIM_OPTIONS, scimOptionsOf } from './scim/scim-options';
import { ScimUsers } from './scim/scim-users';

@Module({
  imports: [
    PrismaModule,
    AuthModule,
    ScimAuthModule,
    DomainConfigModule.following('policy-gate'),
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_SETTINGS],
      useFactory: (settings: GateSettings) => operationThrottles(gateOptionsOf(settings)),
    }),
  ],
  controllers: [
    OperationsController,
    ScimController,
    EventsConsumer,
    HealthController,
    openApiController(buildOpenApiDocument),
  ],
  providers: [
    OperationChanges,
    OperationStore,
    OperationViews,
    OwnEvents,
    CommandHandling,
    AcceptWritebackHandler,
    DecidePendingHandler,
    ExpireOperationHandler,
    RecordEventHandler,
    DeadlineWatch,
    WaiterSweep,
    ...outboxRelayProviders({ producer: GATE_PRODUCER }),
    { provide: GATE_OPTIONS, inject: [SERVICE_SETTINGS], useFactory: gateOptionsOf },
    DirectoryLookups,
    ScimIdentities,
    ScimUsers,
    { provide: SCIM_OPTIONS, inject: [SERVICE_SETTINGS], useFactory: scimOptionsOf },
  ],
})
export class PolicyGateModule {}
