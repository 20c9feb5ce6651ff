import { Module } from '@nestjs/common';
import {
  AuthModule,
  domainConfigClientFromEnv,
  HealthController,
  OUTBOX_PRODUCER,
  OutboxRelay,
  PrismaModule,
} from '@writeback/platform';
import { DOMAIN_CONFIG, RetentionService } from './audit/retention.service';
import { OpenApiController } from './openapi/openapi.controller';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AUDIT_PRODUCER, AuditRepository } from './audit/audit.repository';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [AuditController, AuditConsumer, HealthController, OpenApiController],
  providers: [
    AuditRepository,
    RetentionService,
    OutboxRelay,
    { provide: OUTBOX_PRODUCER, useValue: AUDIT_PRODUCER },
    { provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv },
  ],
})
export class AuditServiceModule {}
