import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repositoryRoot } from '@writeback/supervisor';
import { waitFor } from '@writeback/testing';
import { adminReset } from './scenarios';

interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a new user runs it: the embedded launcher, its data under one directory. */
function launch(dataDir: string, ports: Record<string, number>): Launch {
  let text = '';
  const child = spawn(process.execPath, [join(repositoryRoot(), 'apps/embedded/dist/main.js')], {
    env: {
      ...process.env,
      WRITEBACK_DATA_DIR: dataDir,
      WRITEBACK_POLICY_GATE_PORT: String(ports['gate']),
      WRITEBACK_CONFIG_SERVICE_PORT: String(ports['config']),
      WRITEBACK_WRITEBACK_EXECUTOR_PORT: String(ports['executor']),
      WRITEBACK_AUDIT_SERVICE_PORT: String(ports['audit']),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

describe('quick start: the embedded default', () => {
  it('runs the whole system, stops cleanly on Ctrl-C, and still knows its operations after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'writeback-quickstart-'));
    await chmod(dataDir, 0o711);
    const ports = {
      gate: await freePort(),
      config: await freePort(),
      executor: await freePort(),
      audit: await freePort(),
    };
    const gate = `http://127.0.0.1:${ports.gate}`;

    let running = launch(dataDir, ports);
    try {
      await waitFor(() => running.output().includes('Writeback is running'), {
        timeoutMs: 120_000,
        description: 'the embedded system to start',
      });
      expect(running.output()).toContain('authentication  OFF');
      for (const port of Object.values(ports)) {
        expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      }
      const response = await fetch(`${gate}/v1/operations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(adminReset('someone@not-configured.example', 'Quick-Start-1!')),
      });
      expect(response.status).toBe(202);
      const { operationId } = (await response.json()) as { operationId: string };

      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);

      running = launch(dataDir, ports);
      await waitFor(() => running.output().includes('Writeback is running'), {
        timeoutMs: 120_000,
        description: 'the embedded system to start again on the same data',
      });
      const view = (await (await fetch(`${gate}/v1/operations/${operationId}?waitSeconds=10`)).json()) as {
        status: string;
        reason: { code: string } | null;
      };
      expect(view).toMatchObject({ status: 'rejected', reason: { code: 'TARGET.NO_MATCHING_DOMAIN' } });
    } finally {
      running.child.kill('SIGINT');
      await running.exited;
    }
  });
});
