import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { applyMigrations, startEmbeddedPostgres } from '@writeback/persistence';
import { startSystem } from '@writeback/supervisor';

/**
 * The embedded default: the four services as separate processes on one machine, with an
 * embedded PostgreSQL under WRITEBACK_DATA_DIR carrying both their data and their messages.
 * Setting WRITEBACK_DATABASE_URL and/or WRITEBACK_KAFKA_BROKERS uses those instead.
 */
async function main(): Promise<void> {
  const dataDir = resolve(process.env['WRITEBACK_DATA_DIR'] ?? '.writeback');
  const keyDir = resolve(process.env['WRITEBACK_EXECUTOR_KEY_DIR'] ?? join(dataDir, 'keys'));
  // Searchable by others: as root, embedded PostgreSQL runs as the postgres user below it.
  await mkdir(dataDir, { recursive: true, mode: 0o711 });
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const external = process.env['WRITEBACK_DATABASE_URL'];
  const postgres = external ? undefined : await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
  const databaseUrl = external ?? (postgres as NonNullable<typeof postgres>).connectionString;
  const { applied } = await applyMigrations(databaseUrl);
  if (applied.length > 0) process.stdout.write(`applied migrations: ${applied.join(', ')}\n`);

  const brokers = (process.env['WRITEBACK_KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
  const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  const system = await startSystem({
    databaseUrl,
    ...(brokers.length
      ? { kafkaBrokers: brokers, kafkaIdempotent: process.env['WRITEBACK_KAFKA_IDEMPOTENT'] !== 'false' }
      : {}),
    keyDir,
    executors: [{ instance: 'writeback-executor', domains: process.env['WRITEBACK_EXECUTOR_DOMAINS'] ?? '*' }],
    ports: {
      gate: port('WRITEBACK_POLICY_GATE_PORT', 8080),
      config: port('WRITEBACK_CONFIG_SERVICE_PORT', 8081),
      executor: port('WRITEBACK_WRITEBACK_EXECUTOR_PORT', 8082),
      audit: port('WRITEBACK_AUDIT_SERVICE_PORT', 8083),
    },
    env: {
      WRITEBACK_MIGRATE_ON_START: 'false',
      // Loopback only and single-user by default; configure WRITEBACK_AUTH_* to require tokens.
      WRITEBACK_AUTH_MODE: process.env['WRITEBACK_AUTH_ISSUER']
        ? 'jwt'
        : (process.env['WRITEBACK_AUTH_MODE'] ?? 'none'),
    },
  });
  process.stdout.write(
    [
      'Writeback is running (embedded default).',
      `  policy gate     ${system.gateUrl}   POST /v1/operations`,
      `  config service  ${system.configUrl}   /v1/domains`,
      `  audit service   ${system.auditUrl}   /v1/audit/operations/:id`,
      `  data            ${dataDir}`,
      `  executor keys   ${keyDir}`,
      `  transport       ${brokers.length ? `kafka ${brokers.join(',')}` : 'postgres (embedded)'}`,
      `  authentication  ${process.env['WRITEBACK_AUTH_ISSUER'] ? 'bearer JWT' : 'OFF (WRITEBACK_AUTH_MODE=none): local use only'}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await system.stop();
    await postgres?.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  for (const [name, child] of system.processes) {
    void child.exited.then((code) => {
      if (stopping) return;
      process.stderr.write(`${name} exited unexpectedly (code ${String(code)}); stopping\n`);
      void shutdown(1);
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`writeback failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
