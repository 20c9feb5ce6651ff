import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@writeback/supervisor';
import type { WritebackFixture } from './writeback-fixture';

const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when the run asked for `--json` and printed something. */
  json: Record<string, unknown> & Array<Record<string, unknown>>;
}

/**
 * Runs the built `writeback` CLI (`apps/cli/dist`) as an operator would, against the fixture's
 * services, with nothing of this process's environment but PATH and `env`, and no config file
 * of contexts (`XDG_CONFIG_HOME` is the fixture's directory).
 */
export async function runCli(fixture: WritebackFixture, args: string[], env: Record<string, string>): Promise<CliRun> {
  const result = await run(process.execPath, [join(repositoryRoot(), 'apps/cli/dist/main.js'), ...args], {
    env: {
      PATH: process.env['PATH'] ?? '',
      // No operator's contexts (~/.config/writeback) in a test: the variables below decide.
      XDG_CONFIG_HOME: fixture.workDir,
      WRITEBACK_CONFIG_URL: fixture.system.configUrl,
      WRITEBACK_GATE_URL: fixture.system.gateUrl,
      WRITEBACK_AUDIT_URL: fixture.system.auditUrl,
      ...env,
    },
    timeout: 170_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
  let json = {} as CliRun['json'];
  if (args.includes('--json') && result.stdout.trim()) json = JSON.parse(result.stdout) as CliRun['json'];
  return { ...result, json };
}
