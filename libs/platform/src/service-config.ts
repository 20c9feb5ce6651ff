import { z } from 'zod';
import type { BusConfig } from '@writeback/messaging';

const Env = z.object({
  WRITEBACK_DATABASE_URL: z.string().min(1, 'WRITEBACK_DATABASE_URL is required'),
  WRITEBACK_KAFKA_BROKERS: z.string().optional(),
  WRITEBACK_KAFKA_IDEMPOTENT: z.enum(['true', 'false']).default('true'),
  WRITEBACK_CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  WRITEBACK_KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  WRITEBACK_HTTP_HOST: z.string().default('127.0.0.1'),
});

export interface ServiceConfig {
  databaseUrl: string;
  bus: BusConfig;
  httpHost: string;
  httpPort: number;
}

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Reads the settings every service shares; a bad value stops the service with a clear message. */
export function readServiceConfig(
  service: string,
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const portVar = `WRITEBACK_${service.toUpperCase().replace(/-/g, '_')}_PORT`;
  const port = Number(env[portVar] ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`${portVar} must be a port`);
  const brokers = (parsed.data.WRITEBACK_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const bus: BusConfig =
    brokers.length > 0
      ? {
          transport: 'kafka',
          clientId: service,
          brokers,
          idempotent: parsed.data.WRITEBACK_KAFKA_IDEMPOTENT === 'true',
          sessionTimeoutMs: parsed.data.WRITEBACK_KAFKA_SESSION_TIMEOUT_MS,
          concurrency: parsed.data.WRITEBACK_CONSUMER_CONCURRENCY,
        }
      : { transport: 'postgres', connectionString: parsed.data.WRITEBACK_DATABASE_URL };
  return {
    databaseUrl: parsed.data.WRITEBACK_DATABASE_URL,
    bus,
    httpHost: parsed.data.WRITEBACK_HTTP_HOST,
    httpPort: port,
  };
}

/** Required setting of one service, e.g. the executor's key directory. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`${name} is required`);
  return value;
}
