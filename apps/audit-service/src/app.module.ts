import { Module } from '@nestjs/common';
import { HealthController, PrismaModule } from '@writeback/platform';
import { AuditConsumer } from './audit/audit.consumer';
import { AuditController } from './audit/audit.controller';
import { AuditRepository } from './audit/audit.repository';

@Module({
  imports: [PrismaModule],
  controllers: [AuditController, AuditConsumer, HealthController],
  providers: [AuditRepository],
})
export class AuditServiceModule {}
