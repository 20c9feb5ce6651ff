import { Module } from '@nestjs/common';
import { HealthController, OUTBOX_PRODUCER, OutboxRelay, PrismaModule } from '@writeback/platform';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AUDIT_PRODUCER, AuditRepository } from './audit/audit.repository';

@Module({
  imports: [PrismaModule],
  controllers: [AuditController, AuditConsumer, HealthController],
  providers: [AuditRepository, OutboxRelay, { provide: OUTBOX_PRODUCER, useValue: AUDIT_PRODUCER }],
})
export class AuditServiceModule {}
