import { Module } from '@nestjs/common';
import {
  AuthModule,
  DomainConfigModule,
  HealthController,
  openApiController,
  outboxRelayProviders,
  PrismaModule,
} from '@writeback/platform';
import { RetentionService } from './audit/retention.service';
import { buildOpenApiDocument } from './openapi/openapi.document';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AUDIT_PRODUCER, AUDIT_PUBLISH_LINGER_MS, AuditRepository } from './audit/audit.repository';
import { DeadLettersConsumer } from './dead-letters/dead-letters.consumer';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersRepository } from './dead-letters/dead-letters.repository';

@Module({
  imports: [PrismaModule, AuthModule, DomainConfigModule.reading()],
  controllers: [
    AuditController,
    AuditConsumer,
    DeadLettersController,
    DeadLettersConsumer,
    HealthController,
    openApiController(buildOpenApiDocument),
  ],
  providers: [
    AuditRepository,
    DeadLettersRepository,
    RetentionService,
    ...outboxRelayProviders({ producer: AUDIT_PRODUCER, lingerMs: AUDIT_PUBLISH_LINGER_MS }),
  ],
})
export class AuditServiceModule {}
