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
import { DOMAIN_CONFIG, RetentionService } from './audit/retention.service';
import { buildOpenApiDocument } from './openapi/openapi.document';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AUDIT_PRODUCER, AuditRepository } from './audit/audit.repository';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [AuditController, AuditConsumer, HealthController, openApiController(buildOpenApiDocument)],
  providers: [
    AuditRepository,
    RetentionService,
    OutboxRelay,
    { provide: OUTBOX_PRODUCER, useValue: AUDIT_PRODUCER },
    { provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv },
  ],
})
export class AuditServiceModule {}
