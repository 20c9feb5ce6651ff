import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Client } from 'pg';

/**
 * Offline replacement for `prisma migrate deploy`.
 *
 * Applies `prisma/migrations/<name>/migration.sql` in name order and records each one in
 * Prisma's own `_prisma_migrations` table exactly as the Prisma schema engine does (same table
 * definition, sha256-hex checksum of the file, `finished_at`, `applied_steps_count = 1`), so a
 * later `prisma migrate deploy|status` in a connected environment sees them as applied.
 *
 * Differences from Prisma, on purpose:
 * - each migration runs inside one transaction together with its bookkeeping row, so a failed
 *   migration leaves no trace (Prisma would leave a "failed" row that blocks later deploys);
 *   migrations therefore must not use statements that cannot run in a transaction
 *   (e.g. `CREATE INDEX CONCURRENTLY`);
 * - it takes the same advisory lock Prisma takes (72707369), so it is also mutually exclusive
 *   with a concurrent `prisma migrate deploy`.
 */

/** The advisory lock key the Prisma schema engine uses on PostgreSQL. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;
const LOCK_TIMEOUT_MS = 60_000;
const LOCK_POLL_MS = 200;

/** Prisma's definition of its bookkeeping table (schema-engine, postgres flavour). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface ApplyMigrationsOptions {
  /** Defaults to this package's `prisma/migrations` (see {@link defaultMigrationsDir}). */
  migrationsDir?: string;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations applied by this call, in order (empty when already up to date). */
  applied: string[];
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/**
 * `prisma/migrations` of this package. Resolved from this file's directory, which is `src/`
 * under ts-jest and `dist/` when compiled: both sit directly under the package root.
 */
export function defaultMigrationsDir(): string {
  return path.resolve(__dirname, '..', 'prisma', 'migrations');
}

/** Prisma's checksum: lowercase hex sha256 of the migration script. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Like Prisma, accept a checksum computed on the same script with LF or CRLF line endings. */
function checksumMatches(sql: string, recorded: string): boolean {
  return [sql, sql.replace(/\r\n/g, '\n'), sql.replace(/\r?\n/g, '\r\n')].some(
    (variant) => migrationChecksum(variant) === recorded,
  );
}

/** Reads the migration folders in name order (the order Prisma applies them in). */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  if (!existsSync(migrationsDir)) {
    throw new Error(`Migrations directory not found: ${migrationsDir}`);
  }
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql');
    if (!existsSync(file)) {
      throw new Error(`Migration folder ${name} has no migration.sql (${file})`);
    }
    const sql = await readFile(file, 'utf8');
    migrations.push({ name, sql, checksum: migrationChecksum(sql) });
  }
  return migrations;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Prisma's `?schema=` URL parameter (default `public`). node-postgres ignores it, so it is
 * stripped from the URL and applied as the search_path, as Prisma does.
 */
function splitSchemaParam(connectionString: string): { url: string; schema: string | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(connectionString);
  } catch {
    return { url: connectionString, schema: undefined };
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { url: connectionString, schema: undefined };
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

async function acquireLock(client: Client): Promise<void> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_ADVISORY_LOCK_KEY,
    ]);
    if (res.rows[0]?.locked) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${LOCK_TIMEOUT_MS} ms waiting for the migration advisory lock ` +
          `(${PRISMA_ADVISORY_LOCK_KEY}); another migrator is still running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/**
 * Applies pending migrations to the database at `connectionString`. Safe to call from every
 * service on every start: concurrent callers serialise on an advisory lock, and already-applied
 * migrations are skipped. Throws if an applied migration's file changed (checksum mismatch), if
 * the database has a failed (unfinished) Prisma migration, or if a migration fails.
 */
export async function applyMigrations(
  connectionString: string,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir();
  const migrations = await readMigrations(migrationsDir);
  const { url, schema } = splitSchemaParam(connectionString);

  const client = new Client({ connectionString: url, application_name: 'writeback-migrate' });
  await client.connect();
  // A dropped connection must reject the pending query, not crash the process.
  client.on('error', () => undefined);
  const applied: string[] = [];
  try {
    if (schema !== undefined) {
      const ident = client.escapeIdentifier(schema);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
      await client.query(`SET search_path TO ${ident}`);
    }
    await acquireLock(client);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<MigrationRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at
           FROM "_prisma_migrations"
          ORDER BY started_at`,
      );
      const live = rows.filter((r) => r.rolled_back_at === null);

      const failed = live.filter((r) => r.finished_at === null);
      if (failed.length > 0) {
        throw new Error(
          `The database has failed migrations: ${failed.map((r) => r.migration_name).join(', ')}. ` +
            'Resolve them (prisma migrate resolve --rolled-back|--applied) before applying more.',
        );
      }

      const done = new Map(live.map((r) => [r.migration_name, r.checksum]));
      for (const migration of migrations) {
        const recorded = done.get(migration.name);
        if (recorded !== undefined) {
          if (!checksumMatches(migration.sql, recorded)) {
            throw new Error(
              `Migration ${migration.name} was modified after it was applied: ` +
                `recorded checksum ${recorded}, file checksum ${migration.checksum}. ` +
                'Never edit an applied migration; add a new one.',
            );
          }
          continue;
        }
        await applyOne(client, migration);
        applied.push(migration.name);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return { applied };
}

async function applyOne(client: Client, migration: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    const started = await client.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    // Simple-query protocol (no parameters): multi-statement scripts are allowed.
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, started.rows[0]?.now],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${message}`, { cause: err });
  }
}
