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
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AUDIT_PRODUCER, AuditRepository } from './audit/audit.repository';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [AuditController, AuditConsumer, HealthController],
  providers: [
    AuditRepository,
    RetentionService,
    OutboxRelay,
    { provide: OUTBOX_PRODUCER, useValue: AUDIT_PRODUCER },
    { provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv },
  ],
})
export class AuditServiceModule {}
