import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

export const SERVICES = ['config-service', 'policy-gate', 'writeback-executor', 'audit-service'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServiceProcessOptions {
  service: ServiceName;
  /** Label for logs when one service runs more than once (e.g. one executor per forest). */
  instance?: string;
  env: Record<string, string>;
  /** Options for node itself, before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** Where stdout and stderr go; inherited when omitted. */
  logFile?: string;
  /** The service's base URL, polled at /health/ready. */
  url: string;
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  name: string;
  url: string;
  pid: number;
  /** SIGTERM, wait for a graceful exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, for fault tests. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Finds the repository root from anywhere inside it (src under ts-jest, or dist). */
export function repositoryRoot(from = __dirname): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}

export function serviceEntry(service: ServiceName): string {
  const entry = join(repositoryRoot(), 'apps', service, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  return entry;
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not ready at ${url} after ${timeoutMs} ms (${last})`);
}

/** Starts one service as its own process, as Kubernetes would, and waits until it is ready. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const name = options.instance ?? options.service;
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  if (log) await once(log, 'open');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serviceEntry(options.service)], {
    env: { ...process.env, ...options.env },
    // Its own process group: a terminal's Ctrl-C reaches the supervisor only, which stops the
    // services in order (and before the database). The IPC channel is how a service learns that
    // its supervisor is gone, even after a SIGKILL: it closes, and the service stops itself.
    detached: true,
    stdio: ['ignore', log ? 'pipe' : 'inherit', log ? 'pipe' : 'inherit', 'ipc'],
  });
  if (log) {
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  }
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  void exited.then(() => log?.end());
  try {
    await waitUntilReady(options.url, child, options.readyTimeoutMs ?? 60_000, name);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    name,
    url: options.url,
    pid: child.pid ?? -1,
    stop: (graceMs = 10_000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
    exited,
  };
}
