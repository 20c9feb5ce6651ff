import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '@writeback/supervisor';

jest.setTimeout(60_000);

/**
 * Each service is started as it runs in production (its built `main.js`), with every setting it
 * needs but one bad number. Nothing listens at the database or config-service addresses: a
 * service that got past its settings would fail later, with another message.
 */
describe('a bad setting stops a service at start', () => {
  let keyDir: string;

  beforeAll(() => {
    keyDir = mkdtempSync(join(tmpdir(), 'wb-settings-'));
  });

  afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

  const start = (service: string, env: Record<string, string>): { status: number | null; stderr: string } => {
    const { status, stderr } = spawnSync(
      process.execPath,
      [join(repositoryRoot(), 'apps', service, 'dist', 'main.js')],
      {
        env: {
          PATH: process.env['PATH'],
          WRITEBACK_DATABASE_URL: 'postgresql://writeback:unused@127.0.0.1:1/writeback',
          WRITEBACK_CONFIG_SERVICE_URL: 'http://127.0.0.1:1',
          WRITEBACK_AUTH_MODE: 'none',
          WRITEBACK_EXECUTOR_DOMAINS: 'corp',
          WRITEBACK_EXECUTOR_KEY_DIR: keyDir,
          WRITEBACK_MIGRATE_ON_START: 'false',
          ...env,
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    return { status, stderr };
  };

  it.each([
    ['writeback-executor', 'WRITEBACK_EXECUTOR_MAX_ATTEMPTS', 'five', 'expected an integer from 1 to 100'],
    ['writeback-executor', 'WRITEBACK_EXECUTOR_RETRY_BASE_MS', '', 'expected an integer from 1 to 60000'],
    ['audit-service', 'WRITEBACK_AUDIT_RETENTION_INTERVAL_MS', '1h', 'expected an integer from 1000 to 604800000'],
    ['policy-gate', 'WRITEBACK_OPERATION_DEADLINE_MS', '2m', 'expected an integer from 1000 to 86400000'],
    ['config-service', 'WRITEBACK_DELIVERY_MAX_ATTEMPTS', '0', 'expected an integer from 1 to 1000'],
    ['policy-gate', 'WRITEBACK_DATABASE_POOL_SIZE', '10x', 'expected an integer from 1 to 500'],
  ])('%s with %s=%j exits 1 naming the variable and what it expects', (service, variable, value, expected) => {
    const { status, stderr } = start(service, { [variable]: value });
    expect(status).toBe(1);
    expect(stderr).toContain(`${service} failed to start`);
    expect(stderr).toContain(`${variable}: ${expected}`);
  });

  it('names a required setting that is missing', () => {
    const { status, stderr } = start('writeback-executor', { WRITEBACK_EXECUTOR_DOMAINS: ' ' });
    expect(status).toBe(1);
    expect(stderr).toContain('WRITEBACK_EXECUTOR_DOMAINS is required');
  });
});
