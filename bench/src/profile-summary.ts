/**
 * Summarises the CPU profiles a `--cpu-profile DIR` run wrote: per process, where its busy time
 * went, by package (self time of the functions each package's files define) and by function.
 *
 *   node bench/dist/profile-summary.js DIR [--top N]
 *
 * Self time only: a function's callees count for themselves, so the shares add up to 100% of
 * the busy samples (idle excluded). Garbage collection and native code are their own rows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a script belongs to: `pg`, `@prisma/client`, `node:internal`, or `writeback`. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name ?? ''}` : (scope ?? '?');
  }
  const app = /\/(apps|libs)\/([^/]+)\//.exec(url);
  return app ? `writeback ${app[1]}/${app[2]}` : url;
}

export interface Summary {
  busyMs: number;
  byPackage: Array<[string, number]>;
  byFunction: Array<[string, number]>;
}

export function summarise(profile: Profile): Summary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
    const name = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + delta);
  });
  const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1]);
  return { busyMs: busy, byPackage: sorted(packages), byFunction: sorted(functions) };
}

function main(): void {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: profile-summary DIR [--top N]\n');
    process.exit(2);
  }
  const topAt = rest.indexOf('--top');
  const top = topAt >= 0 ? Number(rest[topAt + 1]) : 15;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const summary = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile);
    const share = (ms: number): string => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
    process.stdout.write(`\n## ${file}: ${(summary.busyMs / 1000).toFixed(1)} s busy\n`);
    process.stdout.write(
      'by package: ' +
        summary.byPackage
          .slice(0, top)
          .map(([p, ms]) => `${p} ${share(ms)}`)
          .join(', ') +
        '\n',
    );
    for (const [name, ms] of summary.byFunction.slice(0, top))
      process.stdout.write(`  ${share(ms).padStart(6)}  ${name}\n`);
  }
}

if (require.main === module) main();
