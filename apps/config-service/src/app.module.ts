import { Module } from '@nestjs/common';
import { AuthModule, HealthController, OUTBOX_PRODUCER, OutboxRelay, PrismaModule } from '@writeback/platform';
import { DomainsController } from './domains/domains.controller';
import { CONFIG_PRODUCER, DomainsRepository } from './domains/domains.repository';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [DomainsController, HealthController],
  providers: [DomainsRepository, OutboxRelay, { provide: OUTBOX_PRODUCER, useValue: CONFIG_PRODUCER }],
})
export class ConfigServiceModule {}
