import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@writeback/supervisor';

const run = promisify(execFile);

/** How a service's process ended: its exit code and what it said on stderr. */
async function start(service: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const main = join(repositoryRoot(), 'apps', service, 'dist', 'main.js');
  try {
    const { stderr } = await run(process.execPath, [main], {
      // Nothing listens on port 1: a service that got past its checks would fail later, differently.
      env: {
        PATH: process.env['PATH'] ?? '',
        WRITEBACK_DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/none',
        WRITEBACK_CONFIG_SERVICE_URL: 'http://127.0.0.1:1',
        WRITEBACK_EXECUTOR_DOMAINS: 'corp',
        ...env,
      },
      timeout: 30_000,
    });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

/** Authentication off is for a single machine: a service refuses it on any other address. */
describe('local mode (WRITEBACK_AUTH_MODE=none)', () => {
  it.each(['policy-gate', 'config-service', 'audit-service', 'writeback-executor'])(
    '%s refuses to start with authentication off on 0.0.0.0, naming the variables',
    async (service) => {
      const started = await start(service, { WRITEBACK_AUTH_MODE: 'none', WRITEBACK_HTTP_HOST: '0.0.0.0' });
      expect(started.code).toBe(1);
      expect(started.stderr).toContain(`${service} failed to start`);
      expect(started.stderr).toContain('WRITEBACK_AUTH_MODE=none');
      expect(started.stderr).toContain('WRITEBACK_HTTP_HOST=0.0.0.0');
    },
  );
});
