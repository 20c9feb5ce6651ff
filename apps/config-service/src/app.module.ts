import { Module } from '@nestjs/common';
import {
  AuthModule,
  HealthController,
  openApiController,
  outboxRelayProviders,
  PrismaModule,
} from '@writeback/platform';
import { DomainsController } from './domains/domains.controller';
import { CONFIG_PRODUCER, DomainsRepository } from './domains/domains.repository';
import { ExecutorTopics } from './domains/executor-topics';
import { buildOpenApiDocument } from './openapi/openapi.document';

@Module({
  imports: [PrismaModule, AuthModule],
  controllers: [DomainsController, HealthController, openApiController(buildOpenApiDocument)],
  providers: [DomainsRepository, ExecutorTopics, ...outboxRelayProviders({ producer: CONFIG_PRODUCER })],
})
export class ConfigServiceModule {}
