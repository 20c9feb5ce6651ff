import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { waitFor } from './wait-for';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  input?: string;
  cwd?: string;
  timeoutMs?: number;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

const OUTPUT_TAIL_CHARS = 4000;

/** Runs a command to completion; rejects with its stderr tail when it fails. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const { input, cwd, env, timeoutMs = 120_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new Error(`${file} could not be run: ${error.message}`)));
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (code === 0) resolve(result);
      else reject(new Error(`${describeCommand(file, args)} ${exitReason(code, signal)}:\n${tail(result)}`));
    });
    // A command that exits without reading its input must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ').slice(0, 300);
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function tail({ stdout, stderr }: CommandResult): string {
  return `${stdout}\n${stderr}`.trim().slice(-OUTPUT_TAIL_CHARS);
}

const liveGroups = new Set<number>();
let exitHandlerInstalled = false;

/**
 * Spawns `file` as the leader of its own process group (samba forks helpers), registered so that
 * the group is killed if this Node process exits without stopping it.
 */
export function spawnProcessGroup(file: string, args: readonly string[], stdio: SpawnOptions['stdio']): ChildProcess {
  installExitHandler();
  const child = spawn(file, args, { stdio, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    child.once('exit', () => liveGroups.delete(pid));
  }
  return child;
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function groupIsGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM to the whole group, then SIGKILL if it has not gone within `graceMs`. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const gone = () => hasExited(child) && groupIsGone(pgid);
  if (gone()) return;
  signalGroup(pgid, 'SIGTERM');
  try {
    await waitFor(gone, { timeoutMs: graceMs, intervalMs: 50, description: `process group ${pgid} to exit` });
  } catch {
    signalGroup(pgid, 'SIGKILL');
    await waitFor(gone, { timeoutMs: 5_000, intervalMs: 50, description: `process group ${pgid} to die` });
  }
  liveGroups.delete(pgid);
}
