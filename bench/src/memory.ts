import { readFile } from 'node:fs/promises';

/** Peak resident set (VmHWM) of a live process, in MiB; NaN once it has gone. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
}
