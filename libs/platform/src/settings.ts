import { z } from 'zod';
import { ConfigurationError, integerSetting } from './service-config';

/**
 * Each service's own settings, one schema per service, read once at start: a bad value stops
 * the service with a message naming the variable and what it expects (never the value, which
 * may be a secret). The settings every service shares (database, Kafka, HTTP) are read by
 * `readServiceConfig`. README.md's Configuration table lists every variable here with its
 * default (a test keeps them equal).
 */

const required = (name: string): z.ZodString =>
  z
    .string({ message: `${name} is required` })
    .trim()
    .min(1, `${name} is required`);

/** What every service reads beyond `readServiceConfig`'s bus, database and HTTP settings. */
const Common = z.object({
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .default('info'),
});

/** How services that read domain configuration reach config-service. */
const ConfigReader = z.object({
  WRITEBACK_CONFIG_SERVICE_URL: required('WRITEBACK_CONFIG_SERVICE_URL').pipe(
    z.url({ message: 'expected an http(s) URL', protocol: /^https?$/ }),
  ),
  WRITEBACK_CONFIG_CACHE_MS: integerSetting(0, 3_600_000).default(2000),
  WRITEBACK_CONFIG_SERVICE_TOKEN_FILE: z.string().trim().optional(),
});

export const GateSettings = Common.extend(ConfigReader.shape).extend({
  WRITEBACK_OPERATION_DEADLINE_MS: integerSetting(1000, 86_400_000).default(120_000),
  WRITEBACK_RATE_LIMIT_PER_CALLER: integerSetting(0, 1_000_000).default(600),
  WRITEBACK_RATE_LIMIT_PER_TARGET: integerSetting(0, 1_000_000).default(10),
  /** The SCIM clients' static tokens, by hash (ADR 0023 §6; `ScimClients`); unset: JWTs only. */
  WRITEBACK_SCIM_CLIENTS_FILE: z.string().trim().min(1).optional(),
  WRITEBACK_SCIM_WAIT_SECONDS: integerSetting(1, 30).default(20),
  WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: integerSetting(100, 30_000).default(5000),
});
export type GateSettings = z.infer<typeof GateSettings>;

export const ExecutorSettings = Common.extend(ConfigReader.shape).extend({
  WRITEBACK_EXECUTOR_DOMAINS: required('WRITEBACK_EXECUTOR_DOMAINS'),
  WRITEBACK_EXECUTOR_KEY_DIR: required('WRITEBACK_EXECUTOR_KEY_DIR'),
  WRITEBACK_EXECUTOR_MAX_ATTEMPTS: integerSetting(1, 100).default(5),
  WRITEBACK_EXECUTOR_RETRY_BASE_MS: integerSetting(1, 60_000).default(500),
  WRITEBACK_EXECUTOR_LDAP_POOL_SIZE: integerSetting(1, 64).default(4),
});
export type ExecutorSettings = z.infer<typeof ExecutorSettings>;

export const AuditSettings = Common.extend(ConfigReader.shape).extend({
  WRITEBACK_AUDIT_RETENTION_INTERVAL_MS: integerSetting(1000, 604_800_000).default(3_600_000),
});
export type AuditSettings = z.infer<typeof AuditSettings>;

export const ConfigServiceSettings = Common;
export type ConfigServiceSettings = z.infer<typeof ConfigServiceSettings>;

/** Every service's schema, by the service's name. */
export const SERVICE_SETTINGS_SCHEMAS = {
  'policy-gate': GateSettings,
  'writeback-executor': ExecutorSettings,
  'audit-service': AuditSettings,
  'config-service': ConfigServiceSettings,
} as const;

/** One line per bad variable: `NAME: what it expects`. */
export function settingsIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const name = issue.path.join('.');
      return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    })
    .join('; ');
}

/** Reads settings with `schema`, or throws a ConfigurationError naming each bad variable. */
export function readSettings<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv = process.env): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigurationError(`invalid settings: ${settingsIssues(parsed.error)}`);
  return parsed.data;
}
