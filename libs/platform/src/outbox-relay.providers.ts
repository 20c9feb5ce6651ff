import { Inject, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { OutboxRelay, type MessageBus, type OutboxRelayOptions } from '@writeback/messaging';
import type { Logger } from '@writeback/observability';
import type { Sql } from '@writeback/persistence';
import { SQL } from './prisma.module';
import { BUS, LOGGER } from './tokens';

/** Runs the relay while the application runs: from once it is up until it shuts down. */
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.relay.stop();
  }
}

/**
 * A service's outbox relay (@writeback/messaging's `OutboxRelay`) on the service's SQL, bus and
 * logger, injectable as `OutboxRelay` by the repositories that announce their commits to it.
 */
export function outboxRelayProviders(options: OutboxRelayOptions): Provider[] {
  return [
    {
      provide: OutboxRelay,
      inject: [SQL, BUS, LOGGER],
      useFactory: (sql: Sql, bus: MessageBus, logger: Logger) => new OutboxRelay(sql, bus, logger, options),
    },
    OutboxRelayLifecycle,
  ];
}
