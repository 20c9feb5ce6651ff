import { KafkaBus, type KafkaSasl, type KafkaTls } from './kafka/kafka.bus';
import type { RetryPolicy } from './delivery';
import type { BusLogger, MessageBus } from './message-bus';
import { PostgresBus } from './postgres/postgres.bus';

export type BusConfig =
  | {
      transport: 'kafka';
      clientId: string;
      brokers: string[];
      idempotent: boolean;
      sessionTimeoutMs?: number;
      fetchMaxWaitMs?: number;
      concurrency?: number;
      tls?: KafkaTls;
      sasl?: KafkaSasl;
      retry?: RetryPolicy;
    }
  | { transport: 'postgres'; connectionString: string; concurrency?: number; retry?: RetryPolicy };

/** Kafka when brokers are configured, otherwise the embedded PostgreSQL log. */
export function createBus(config: BusConfig, logger: BusLogger): MessageBus {
  switch (config.transport) {
    case 'kafka':
      return new KafkaBus({ ...config, logger });
    case 'postgres':
      return new PostgresBus({
        connectionString: config.connectionString,
        logger,
        ...(config.concurrency ? { concurrency: config.concurrency } : {}),
        ...(config.retry ? { retry: config.retry } : {}),
      });
    default: {
      const unreachable: never = config;
      throw new Error(`unknown transport ${JSON.stringify(unreachable)}`);
    }
  }
}
