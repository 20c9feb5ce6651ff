import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { localDatabaseUrl, localStateFile, readLocalState, type LocalState } from '@writeback/persistence';
import { repositoryRoot } from '@writeback/supervisor';
import { CannotRunError, UsageError } from './cli-errors';

/** How long a local command waits for the database to answer before it gives up. */
export const DATABASE_CONNECT_TIMEOUT_MS = 5000;

export interface FoundLocalState {
  file: string;
  state: LocalState | undefined;
  /** Whether the launcher that wrote it is still running. */
  running: boolean;
}

export type DatabaseChoice =
  | { source: 'environment'; url: string }
  | { source: 'npm start'; file: string; state: LocalState }
  | { source: 'none'; looked: string[]; stale: FoundLocalState[] };

/**
 * Which database the local commands read: WRITEBACK_DATABASE_URL when set, else the one a
 * running `npm start` on this machine describes in its `local.json`, first found first.
 */
export function chooseDatabase(environmentUrl: string | undefined, found: readonly FoundLocalState[]): DatabaseChoice {
  if (environmentUrl) return { source: 'environment', url: environmentUrl };
  const live = found.find((candidate) => candidate.state && candidate.running);
  if (live?.state) return { source: 'npm start', file: live.file, state: live.state };
  return {
    source: 'none',
    looked: found.map((candidate) => candidate.file),
    stale: found.filter((candidate) => candidate.state && !candidate.running),
  };
}

/**
 * The data directories `npm start` may be using: WRITEBACK_DATA_DIR (as the launcher reads it,
 * from the current directory) and this checkout's `.writeback`, the launcher's default (none
 * when the CLI runs outside a checkout, as in the image).
 */
export function localDataDirs(env: NodeJS.ProcessEnv, checkout: string | undefined, cwd: string): string[] {
  const dirs = [
    ...(env['WRITEBACK_DATA_DIR'] ? [resolve(cwd, env['WRITEBACK_DATA_DIR'])] : []),
    ...(checkout ? [join(checkout, '.writeback')] : []),
  ];
  return [...new Set(dirs)];
}

function checkoutOfThisCli(): string | undefined {
  try {
    return repositoryRoot(__dirname);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The database URL for a local command, with where it came from, for a progress line. */
export async function resolveDatabaseUrl(env: NodeJS.ProcessEnv): Promise<{ url: string; from: string }> {
  const environmentUrl = env['WRITEBACK_DATABASE_URL'];
  if (environmentUrl) return { url: environmentUrl, from: 'WRITEBACK_DATABASE_URL' };
  const found: FoundLocalState[] = [];
  for (const dir of localDataDirs(env, checkoutOfThisCli(), process.cwd())) {
    const file = localStateFile(dir);
    const state = await readLocalState(file);
    found.push({ file, state, running: state !== undefined && isRunning(state.pid) });
  }
  const choice = chooseDatabase(environmentUrl, found);
  switch (choice.source) {
    case 'environment':
      return { url: choice.url, from: 'WRITEBACK_DATABASE_URL' };
    case 'npm start':
      try {
        return { url: await localDatabaseUrl(choice.state), from: `${choice.state.databaseUrl} (${choice.file})` };
      } catch (error) {
        throw new CannotRunError(
          `${choice.file} names the password file ${choice.state.passwordFile ?? ''}, which cannot be read (${(error as Error).message})`,
        );
      }
    case 'none': {
      const stale = choice.stale.map((c) => `${c.file} is left by process ${c.state?.pid ?? '?'}, no longer running`);
      throw new UsageError(
        [
          'WRITEBACK_DATABASE_URL is unset and no running `npm start` was found on this machine',
          `(looked for ${choice.looked.join(' and ') || 'a checkout, but this CLI is not in one'})`,
          ...stale,
        ].join(' '),
      );
    }
    default: {
      const unreachable: never = choice;
      return unreachable;
    }
  }
}

/**
 * Connects once, within DATABASE_CONNECT_TIMEOUT_MS, so that an unreachable or misconfigured
 * database fails at once with host:port and the reason instead of after the client's retries.
 */
export async function checkDatabaseReachable(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new CannotRunError(`cannot connect to the database at ${hostAndPort(url)}: ${reasonOf(error)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function hostAndPort(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'an unparsable WRITEBACK_DATABASE_URL';
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(message)) return `no answer within ${DATABASE_CONNECT_TIMEOUT_MS} ms`;
  if (/password must be a string/i.test(message)) return 'the URL has no password and the server asks for one';
  return message;
}
