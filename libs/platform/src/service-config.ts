import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WritebackError } from '@writeback/contracts';
import { DEFAULT_RETRY, type BusConfig, type KafkaSasl, type KafkaTls, type RetryPolicy } from '@writeback/messaging';

/** A whole number from `min` to `max`; `Number()` would turn a typo into NaN and a blank into 0. */
export function integerSetting(min: number, max: number): z.ZodType<number, string> {
  const expected = `expected an integer from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, expected)
    .transform(Number)
    .pipe(z.number().int().min(min, expected).max(max, expected));
}

/** The Kafka client settings, the same for every service, the CLI and its doctor. */
const KafkaEnv = z.object({
  WRITEBACK_KAFKA_BROKERS: z.string().optional(),
  WRITEBACK_KAFKA_IDEMPOTENT: z.enum(['true', 'false']).default('true'),
  WRITEBACK_CONSUMER_CONCURRENCY: integerSetting(1, 64).default(4),
  WRITEBACK_KAFKA_SESSION_TIMEOUT_MS: integerSetting(1000, 300_000).default(30_000),
  WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS: integerSetting(1, 10_000).default(250),
  WRITEBACK_KAFKA_TLS: z.enum(['true', 'false']).default('false'),
  WRITEBACK_KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  WRITEBACK_KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  WRITEBACK_KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
  WRITEBACK_KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  WRITEBACK_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  WRITEBACK_KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  WRITEBACK_KAFKA_TOPIC_PARTITIONS: integerSetting(1, 10_000).optional(),
  WRITEBACK_KAFKA_TOPIC_REPLICATION_FACTOR: integerSetting(1, 32).optional(),
});

/** The settings every service shares (its own are in settings.ts). */
export const SharedSettings = KafkaEnv.extend({
  WRITEBACK_DATABASE_URL: z.string().min(1, 'WRITEBACK_DATABASE_URL is required'),
  WRITEBACK_DATABASE_POOL_SIZE: integerSetting(1, 500).default(10),
  WRITEBACK_HTTP_HOST: z.string().default('127.0.0.1'),
  WRITEBACK_SHUTDOWN_DRAIN_MS: integerSetting(0, 300_000).default(0),
  WRITEBACK_MIGRATE_ON_START: z.enum(['true', 'false'], { message: 'expected true or false' }).default('true'),
  WRITEBACK_DELIVERY_MAX_ATTEMPTS: integerSetting(1, 1000).default(DEFAULT_RETRY.maxUnclassifiedAttempts),
});

type EnvValues = z.infer<typeof KafkaEnv>;
export type KafkaBusConfig = Extract<BusConfig, { transport: 'kafka' }>;

function readPem(variable: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigurationError(`${variable} names an unreadable file`);
  }
}

/** TLS towards the brokers: on with WRITEBACK_KAFKA_TLS=true, with files (mounted Secrets) when given. */
function kafkaTls(env: EnvValues): KafkaTls | undefined {
  const files = {
    ca: env.WRITEBACK_KAFKA_TLS_CA_FILE,
    cert: env.WRITEBACK_KAFKA_TLS_CERT_FILE,
    key: env.WRITEBACK_KAFKA_TLS_KEY_FILE,
  };
  if (env.WRITEBACK_KAFKA_TLS !== 'true') {
    // A CA or client certificate without TLS is a mistake that would send everything in clear.
    if (files.ca || files.cert || files.key) {
      throw new ConfigurationError('WRITEBACK_KAFKA_TLS_*_FILE is set but WRITEBACK_KAFKA_TLS is not true');
    }
    return undefined;
  }
  if (Boolean(files.cert) !== Boolean(files.key)) {
    throw new ConfigurationError('WRITEBACK_KAFKA_TLS_CERT_FILE and WRITEBACK_KAFKA_TLS_KEY_FILE go together');
  }
  const ca = readPem('WRITEBACK_KAFKA_TLS_CA_FILE', files.ca);
  const cert = readPem('WRITEBACK_KAFKA_TLS_CERT_FILE', files.cert);
  const key = readPem('WRITEBACK_KAFKA_TLS_KEY_FILE', files.key);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function kafkaSasl(env: EnvValues): KafkaSasl | undefined {
  const mechanism = env.WRITEBACK_KAFKA_SASL_MECHANISM;
  if (!mechanism) return undefined;
  const username = env.WRITEBACK_KAFKA_SASL_USERNAME;
  const password = env.WRITEBACK_KAFKA_SASL_PASSWORD;
  if (!username || !password) {
    throw new ConfigurationError(
      'WRITEBACK_KAFKA_SASL_MECHANISM needs WRITEBACK_KAFKA_SASL_USERNAME and WRITEBACK_KAFKA_SASL_PASSWORD',
    );
  }
  return { mechanism, username, password };
}

export interface ServiceConfig {
  databaseUrl: string;
  /** Connections this process keeps to PostgreSQL. */
  databasePoolSize: number;
  bus: BusConfig;
  httpHost: string;
  httpPort: number;
  /** How long a stopping service answers not-ready before it stops (load balancers catch up). */
  shutdownDrainMs: number;
  /** Apply database migrations at start (false where a Job applies them first). */
  migrateOnStart: boolean;
}

/** A setting missing or malformed: the service cannot run as configured, and waiting will not fix it. */
export class ConfigurationError extends WritebackError {
  readonly code = 'CONFIG.INVALID';
  readonly retriable = false;
}

/** Whether an address to listen on is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Authentication off (WRITEBACK_AUTH_MODE=none) is for one machine: on any other address
 * anyone on the network could act anonymously, so no service starts that way.
 */
function refuseAnonymousBeyondLoopback(env: NodeJS.ProcessEnv, host: string): void {
  if (env['WRITEBACK_AUTH_MODE'] !== 'none' || isLoopbackHost(host)) return;
  throw new ConfigurationError(
    `WRITEBACK_AUTH_MODE=none switches authentication off, which is allowed on loopback only, but ` +
      `WRITEBACK_HTTP_HOST=${host} listens beyond it: set WRITEBACK_AUTH_ISSUER, WRITEBACK_AUTH_AUDIENCE and ` +
      `WRITEBACK_AUTH_JWKS_URL or WRITEBACK_AUTH_JWKS_FILE instead, or WRITEBACK_HTTP_HOST=127.0.0.1`,
  );
}

/** Reads the settings every service shares; a bad value stops the service with a clear message. */
export function readServiceConfig(
  service: string,
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const parsed = SharedSettings.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(issuesOf(parsed.error));
  refuseAnonymousBeyondLoopback(env, parsed.data.WRITEBACK_HTTP_HOST);
  const portVar = `WRITEBACK_${service.toUpperCase().replace(/-/g, '_')}_PORT`;
  const port = Number(env[portVar] ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigurationError(`${portVar} must be a port`);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, maxUnclassifiedAttempts: parsed.data.WRITEBACK_DELIVERY_MAX_ATTEMPTS };
  const kafka = kafkaConfigOf(service, parsed.data);
  const bus: BusConfig = kafka
    ? { ...kafka, retry }
    : {
        transport: 'postgres',
        connectionString: parsed.data.WRITEBACK_DATABASE_URL,
        concurrency: parsed.data.WRITEBACK_CONSUMER_CONCURRENCY,
        retry,
      };
  return {
    databaseUrl: parsed.data.WRITEBACK_DATABASE_URL,
    databasePoolSize: parsed.data.WRITEBACK_DATABASE_POOL_SIZE,
    bus,
    httpHost: parsed.data.WRITEBACK_HTTP_HOST,
    httpPort: port,
    shutdownDrainMs: parsed.data.WRITEBACK_SHUTDOWN_DRAIN_MS,
    migrateOnStart: parsed.data.WRITEBACK_MIGRATE_ON_START === 'true',
  };
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

function kafkaConfigOf(clientId: string, env: EnvValues): KafkaBusConfig | undefined {
  const brokers = (env.WRITEBACK_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) return undefined;
  const tls = kafkaTls(env);
  const sasl = kafkaSasl(env);
  return {
    transport: 'kafka',
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl } : {}),
    clientId,
    brokers,
    idempotent: env.WRITEBACK_KAFKA_IDEMPOTENT === 'true',
    sessionTimeoutMs: env.WRITEBACK_KAFKA_SESSION_TIMEOUT_MS,
    fetchMaxWaitMs: env.WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS,
    concurrency: env.WRITEBACK_CONSUMER_CONCURRENCY,
  };
}

/**
 * The Kafka client the services would build from this environment (brokers, TLS, SASL), for
 * tools that talk to the same cluster; undefined when WRITEBACK_KAFKA_BROKERS is unset.
 */
export function readKafkaConfig(clientId: string, env: NodeJS.ProcessEnv = process.env): KafkaBusConfig | undefined {
  const parsed = KafkaEnv.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(issuesOf(parsed.error));
  return kafkaConfigOf(clientId, parsed.data);
}

/** Partitions and replication of the topics Writeback creates; unset: the brokers' defaults. */
export interface TopicDefaults {
  partitions?: number;
  replicationFactor?: number;
}

export function readTopicDefaults(env: NodeJS.ProcessEnv = process.env): TopicDefaults {
  const parsed = KafkaEnv.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(issuesOf(parsed.error));
  const { WRITEBACK_KAFKA_TOPIC_PARTITIONS: partitions, WRITEBACK_KAFKA_TOPIC_REPLICATION_FACTOR: replicationFactor } =
    parsed.data;
  return {
    ...(partitions === undefined ? {} : { partitions }),
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
  };
}
