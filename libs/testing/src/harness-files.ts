import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from './processes';

const HARNESS_DIR = join('tools', 'harness');

/**
 * Finds `tools/harness/<name>` by walking up from this module, so the same code works when run
 * from `src` (ts-jest) and from compiled `dist`.
 */
export function harnessFile(name: string): string {
  return repositoryFile(join(HARNESS_DIR, name));
}

/** Finds a file of the repository (e.g. `tools/kafka/pom.xml`) the same way. */
export function repositoryFile(relativePath: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`Cannot find ${relativePath} in any parent of ${__dirname}`);
    }
  }
}

/** Installs the Debian packages the harness needs (see tools/harness/ensure-system-deps.sh). */
export async function ensureSystemDeps(): Promise<string> {
  const { stdout } = await runCommand('bash', [harnessFile('ensure-system-deps.sh')], {
    timeoutMs: 600_000,
  });
  return stdout.trim();
}

/** `${WRITEBACK_CACHE_DIR:-~/.cache/writeback}`: what the harness downloads or builds once, kept between runs. */
export function harnessCacheDir(): string {
  return process.env['WRITEBACK_CACHE_DIR']?.trim() || join(homedir(), '.cache', 'writeback');
}
