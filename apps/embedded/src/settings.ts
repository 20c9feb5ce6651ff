import { join, resolve } from 'node:path';
import { z } from 'zod';

export interface LauncherSettings {
  /** Keys, the database password, `local.json`, and (unless moved, as root) the database. */
  dataDir: string;
  keyDir: string;
  /** Set: an external database instead of the embedded one. */
  databaseUrl: string | undefined;
  kafkaBrokers: string[];
  kafkaIdempotent: boolean;
  executorDomains: string;
  ports: { gate: number; config: number; executor: number; audit: number };
  /** `jwt` when WRITEBACK_AUTH_ISSUER is set, else WRITEBACK_AUTH_MODE or `none`. */
  authMode: string;
}

/** A setting that stops the launcher before it starts anything (exit 2). */
export class SettingsError extends Error {}

const port = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number (0-65535)')
    .transform(Number)
    .refine((value) => value <= 65535, 'must be a port number (0-65535)')
    .default(fallback);

const Env = z.object({
  WRITEBACK_POLICY_GATE_PORT: port(8080),
  WRITEBACK_CONFIG_SERVICE_PORT: port(8081),
  WRITEBACK_WRITEBACK_EXECUTOR_PORT: port(8082),
  WRITEBACK_AUDIT_SERVICE_PORT: port(8083),
  WRITEBACK_KAFKA_IDEMPOTENT: z.enum(['true', 'false']).default('true'),
});

/**
 * The launcher's own settings. Relative paths are taken from `cwd`; the data directory defaults
 * to `.writeback` in the checkout, wherever the command is run from.
 */
export function readLauncherSettings(env: NodeJS.ProcessEnv, checkout: string, cwd: string): LauncherSettings {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new SettingsError(
      parsed.error.issues
        .map((issue) => {
          const name = String(issue.path[0]);
          return `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
        })
        .join('; '),
    );
  }
  const values = parsed.data;
  const dataDir = env['WRITEBACK_DATA_DIR'] ? resolve(cwd, env['WRITEBACK_DATA_DIR']) : join(checkout, '.writeback');
  const keyDir = env['WRITEBACK_EXECUTOR_KEY_DIR'];
  return {
    dataDir,
    keyDir: keyDir ? resolve(cwd, keyDir) : join(dataDir, 'keys'),
    databaseUrl: env['WRITEBACK_DATABASE_URL'] || undefined,
    kafkaBrokers: (env['WRITEBACK_KAFKA_BROKERS'] ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    kafkaIdempotent: values.WRITEBACK_KAFKA_IDEMPOTENT === 'true',
    executorDomains: env['WRITEBACK_EXECUTOR_DOMAINS'] ?? '*',
    ports: {
      gate: values.WRITEBACK_POLICY_GATE_PORT,
      config: values.WRITEBACK_CONFIG_SERVICE_PORT,
      executor: values.WRITEBACK_WRITEBACK_EXECUTOR_PORT,
      audit: values.WRITEBACK_AUDIT_SERVICE_PORT,
    },
    // Loopback only and single-user by default; configure WRITEBACK_AUTH_* to require tokens.
    authMode: env['WRITEBACK_AUTH_ISSUER'] ? 'jwt' : (env['WRITEBACK_AUTH_MODE'] ?? 'none'),
  };
}
