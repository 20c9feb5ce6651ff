import { Module } from '@nestjs/common';
import { HealthController, PrismaModule } from '@writeback/platform';
import { DomainsController } from './domains/domains.controller';
import { DomainsRepository } from './domains/domains.repository';

@Module({
  imports: [PrismaModule],
  controllers: [DomainsController, HealthController],
  providers: [DomainsRepository],
})
export class ConfigServiceModule {}
