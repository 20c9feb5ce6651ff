import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * What `npm start` (the embedded default) tells the local commands on the same machine, in
 * `<dataDir>/local.json` (mode 0600) while it runs: where the services and the database are.
 * Never a password: the database URL has none, and names the file that holds it instead.
 */
export interface LocalState {
  version: 1;
  /** The launcher's process id: a file left by a launcher that died names a dead process. */
  pid: number;
  startedAt: string;
  endpoints: { gate: string; config: string; audit: string };
  /** `postgresql://user@host:port/database`, without the password. */
  databaseUrl: string;
  /** The database password's file; absent for an external database. */
  passwordFile?: string;
}

export const LOCAL_STATE_FILE = 'local.json';

export function localStateFile(dataDir: string): string {
  return path.join(dataDir, LOCAL_STATE_FILE);
}

/** The URL without its password (for printing, and for `local.json`). */
export function withoutPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return url.toString();
}

export async function writeLocalState(dataDir: string, state: LocalState): Promise<string> {
  const file = localStateFile(dataDir);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, file);
  return file;
}

/** Removes the file if it is still this launcher's (another may have started on the same data). */
export async function removeLocalState(dataDir: string, pid: number): Promise<void> {
  const state = await readLocalState(localStateFile(dataDir)).catch(() => undefined);
  if (state?.pid === pid) await rm(localStateFile(dataDir), { force: true });
}

/** The state in `file`; undefined when there is none. Throws on a file that is not one. */
export async function readLocalState(file: string): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as Partial<LocalState>;
  if (state.version !== 1 || typeof state.pid !== 'number' || typeof state.databaseUrl !== 'string') {
    throw new Error(`${file} is not a Writeback local state file (version 1)`);
  }
  return state as LocalState;
}

/** The state's database URL with the password from its file. */
export async function localDatabaseUrl(state: LocalState): Promise<string> {
  if (!state.passwordFile) return state.databaseUrl;
  const url = new URL(state.databaseUrl);
  url.password = encodeURIComponent((await readFile(state.passwordFile, 'utf8')).trim());
  return url.toString();
}
