#!/usr/bin/env node
/**
 * Offline `prisma migrate deploy`: `DATABASE_URL=postgresql://... node dist/migrate.cli.js`
 * Optional: MIGRATIONS_DIR overrides the bundled prisma/migrations directory.
 */
import { applyMigrations, defaultMigrationsDir } from './migrate';

function redact(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

async function main(): Promise<number> {
  const connectionString = process.env['DATABASE_URL'];
  if (!connectionString) {
    process.stderr.write('migrate: DATABASE_URL is not set (expected postgresql://user:pass@host:port/db)\n');
    return 2;
  }
  const migrationsDir = process.env['MIGRATIONS_DIR'] || defaultMigrationsDir();
  process.stdout.write(`migrate: applying ${migrationsDir} to ${redact(connectionString)}\n`);
  const started = Date.now();
  const { applied } = await applyMigrations(connectionString, { migrationsDir });
  if (applied.length === 0) {
    process.stdout.write('migrate: database already up to date\n');
  } else {
    for (const name of applied) process.stdout.write(`migrate: applied ${name}\n`);
    process.stdout.write(`migrate: ${applied.length} migration(s) applied in ${Date.now() - started} ms\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`migrate: FAILED: ${message}\n`);
    process.exitCode = 1;
  },
);
