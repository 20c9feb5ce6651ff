import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyMigrations,
  removeLocalState,
  startEmbeddedPostgres,
  withoutPassword,
  writeLocalState,
  type EmbeddedPostgresHandle,
} from '@writeback/persistence';
import { repositoryRoot, startSystem, type RunningSystem } from '@writeback/supervisor';
import { readLauncherSettings, SettingsError } from './settings';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The embedded default: the four services as separate processes on one machine, with an
 * embedded PostgreSQL carrying both their data and their messages. Setting
 * WRITEBACK_DATABASE_URL and/or WRITEBACK_KAFKA_BROKERS uses those instead.
 *
 * PostgreSQL and the services run in process groups of their own, so a terminal's Ctrl-C (and
 * npm's forwarded signal) reaches only this process, which stops the services first and the
 * database last. If this process is killed outright, they notice their IPC channel close and
 * stop by themselves.
 */
async function main(): Promise<void> {
  const settings = readLauncherSettings(process.env, repositoryRoot(), process.cwd());
  const { dataDir, keyDir, ports } = settings;

  let postgres: EmbeddedPostgresHandle | undefined;
  let system: RunningSystem | undefined;
  let stopping: Promise<void> | undefined;
  let started = false;
  let stopRequested = false;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      await system?.stop();
      await postgres?.stop();
      await removeLocalState(dataDir, process.pid);
    })());
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    process.stdout.write('stopping: the services first, then the database\n');
    await stopAll();
    process.stdout.write('stopped\n');
    process.exit(code);
  };
  for (const signal of STOP_SIGNALS) {
    // `on`, not `once`: a terminal's Ctrl-C arrives twice (from the terminal and from npm).
    process.on(signal, () => {
      if (started) return void shutdown(0);
      if (!stopRequested) process.stdout.write(`${signal}: stopping once start-up is done\n`);
      stopRequested = true;
    });
  }

  let databaseUrl: string;
  let stateFile: string;
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o711 });
    // As root, PostgreSQL runs as the postgres user, below this directory: it must be able to
    // search it (not to read it; the keys and the password file stay the owner's).
    if (process.getuid?.() === 0) await chmod(dataDir, 0o711);
    await mkdir(keyDir, { recursive: true, mode: 0o700 });
    postgres = settings.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
    databaseUrl = settings.databaseUrl ?? (postgres as EmbeddedPostgresHandle).connectionString;
    const { applied } = await applyMigrations(databaseUrl);
    if (applied.length > 0) process.stdout.write(`applied migrations: ${applied.join(', ')}\n`);
    system = await startSystem({
      databaseUrl,
      ...(settings.kafkaBrokers.length
        ? { kafkaBrokers: settings.kafkaBrokers, kafkaIdempotent: settings.kafkaIdempotent }
        : {}),
      keyDir,
      executors: [{ instance: 'writeback-executor', domains: settings.executorDomains }],
      ports,
      env: { WRITEBACK_MIGRATE_ON_START: 'false', WRITEBACK_AUTH_MODE: settings.authMode },
    });
    stateFile = await writeLocalState(dataDir, {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints: { gate: system.gateUrl, config: system.configUrl, audit: system.auditUrl },
      databaseUrl: withoutPassword(databaseUrl),
      ...(postgres?.passwordFile ? { passwordFile: postgres.passwordFile } : {}),
    });
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
  started = true;
  if (stopRequested) return shutdown(0);
  for (const [name, child] of system.processes) {
    void child.exited.then((code) => {
      if (stopping) return;
      process.stderr.write(`${name} exited unexpectedly (code ${String(code)}); stopping\n`);
      void shutdown(1);
    });
  }

  process.stdout.write(
    [
      'Writeback is running (embedded default).',
      `  policy gate     ${system.gateUrl}   POST /v1/operations`,
      `  config service  ${system.configUrl}   /v1/domains`,
      `  audit service   ${system.auditUrl}   /v1/audit/operations/:id`,
      `  data            ${dataDir}`,
      `  executor keys   ${keyDir}`,
      `  database        ${withoutPassword(databaseUrl)}` +
        (postgres?.passwordFile ? ` (password in ${postgres.passwordFile})` : ''),
      ...(postgres ? [`  database files  ${postgres.clusterDir}`] : []),
      `  local commands  ${stateFile} (writeback audit verify finds the database there)`,
      `  transport       ${settings.kafkaBrokers.length ? `kafka ${settings.kafkaBrokers.join(',')}` : 'postgres (embedded)'}`,
      `  authentication  ${settings.authMode === 'jwt' ? 'bearer JWT' : 'OFF (WRITEBACK_AUTH_MODE=none): local use only'}`,
      `Ctrl-C stops everything, as does SIGTERM or SIGINT to npm or to this process (${process.pid}).`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  const usage = error instanceof SettingsError;
  process.stderr.write(
    `writeback ${usage ? 'cannot start' : 'failed to start'}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(usage ? 2 : 1);
});
