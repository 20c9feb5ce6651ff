import { Module } from '@nestjs/common';
import {
  DomainConfigModule,
  HealthController,
  outboxRelayProviders,
  PrismaModule,
  READINESS_CHECKS,
  SERVICE_SETTINGS,
  type ExecutorSettings,
} from '@writeback/platform';
import { EXECUTOR_PRODUCER, OutcomesRepository } from './writeback/outcomes.repository';
import { CommandsConsumer } from './writeback/commands.consumer';
import { DomainKeys } from './writeback/domain-keys';
import { servedDomains } from './writeback/served-domains';
import { ApplyWritebackHandler } from './writeback/apply-writeback.handler';
import { DomainDirectories } from './writeback/domain-directories';
import { LookupUserHandler } from './writeback/lookup-user.handler';
import { DOMAIN_KEYS, EXECUTOR_OPTIONS, type ExecutorOptions } from './writeback/executor-options';

@Module({
  imports: [PrismaModule, DomainConfigModule.following('writeback-executor')],
  controllers: [CommandsConsumer, HealthController],
  providers: [
    ApplyWritebackHandler,
    LookupUserHandler,
    DomainDirectories,
    OutcomesRepository,
    ...outboxRelayProviders({ producer: EXECUTOR_PRODUCER }),
    {
      provide: DOMAIN_KEYS,
      inject: [SERVICE_SETTINGS],
      useFactory: (settings: ExecutorSettings) => new DomainKeys(settings.WRITEBACK_EXECUTOR_KEY_DIR),
    },
    {
      provide: EXECUTOR_OPTIONS,
      inject: [SERVICE_SETTINGS],
      useFactory: (settings: ExecutorSettings): ExecutorOptions => ({
        maxAttempts: settings.WRITEBACK_EXECUTOR_MAX_ATTEMPTS,
        retryBaseDelayMs: settings.WRITEBACK_EXECUTOR_RETRY_BASE_MS,
        ldapPoolSize: settings.WRITEBACK_EXECUTOR_LDAP_POOL_SIZE,
        domains: servedDomains(settings.WRITEBACK_EXECUTOR_DOMAINS),
      }),
    },
    { provide: READINESS_CHECKS, useExisting: DomainDirectories },
  ],
})
export class ExecutorModule {}
