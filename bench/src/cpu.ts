import { readdir, readFile } from 'node:fs/promises';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** What a process is, for the CPU table: a service by name, or the DC, database, broker or load. */
export type Classify = (process: { pid: number; comm: string; cmdline: string }) => string;

/** CPU seconds used so far per component, counting every descendant of the root process. */
export type CpuSnapshot = Map<string, number>;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime */
  own: number;
  /** cutime + cstime: children it has reaped. */
  reaped: number;
}

/** Parses /proc/<pid>/stat; the command name may itself contain spaces and parentheses. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((i) => Number(fields[i]));
  if ([ppid, utime, stime, cutime, cstime].some((n) => n === undefined || !Number.isFinite(n))) return undefined;
  return {
    pid: Number(text.slice(0, open).trim()),
    ppid: ppid as number,
    comm: text.slice(open + 1, close),
    own: (utime as number) + (stime as number),
    reaped: (cutime as number) + (cstime as number),
  };
}

/**
 * CPU time of the root process and all its descendants, summed per component. A child that
 * exits between two snapshots moves into its parent's reaped-children time, so differences of
 * per-component sums stay right as long as parent and child belong to the same component.
 */
export async function cpuSnapshot(rootPid: number, classify: Classify): Promise<CpuSnapshot> {
  const stats: ProcStat[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = parseStat(await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''));
    if (stat) stats.push(stat);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const snapshot: CpuSnapshot = new Map();
  const root = stats.find((s) => s.pid === rootPid);
  const pending = root ? [root] : [];
  while (pending.length > 0) {
    const s = pending.pop() as ProcStat;
    pending.push(...(children.get(s.pid) ?? []));
    const cmdline = (await readFile(`/proc/${s.pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    // The root reaps the services and helpers it started, of every component: its own time only.
    const ticks = s.pid === rootPid ? s.own : s.own + s.reaped;
    const component = classify({ pid: s.pid, comm: s.comm, cmdline });
    snapshot.set(component, (snapshot.get(component) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return snapshot;
}

/** CPU seconds each component used between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const used = new Map<string, number>();
  for (const [component, seconds] of after) used.set(component, Math.max(0, seconds - (before.get(component) ?? 0)));
  return used;
}

/** Runs `work` and reports the CPU each component spent on it, with its wall time. */
export async function measuringCpu<T>(
  rootPid: number,
  classify: Classify,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Map<string, number>; wallMs: number }> {
  const before = await cpuSnapshot(rootPid, classify);
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  return { result, cpu: cpuBetween(before, await cpuSnapshot(rootPid, classify)), wallMs };
}
