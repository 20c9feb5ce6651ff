import {
  canBind,
  forestUser,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset } from './scenarios';

/** Users of this suite only: one operation each, so each password can be checked by a bind. */
const USERS = ['quinn', 'ruth', 'sven', 'uma'];
const DRAIN_MS = 3000;

/**
 * Graceful shutdown (issue 8): on SIGTERM a service answers `/health/ready` with 503 first, for
 * the drain delay, then stops its consumers; a write in flight finishes and a message not yet
 * handled stays uncommitted for the next instance. Nothing accepted is lost.
 */
describe('graceful shutdown (distributed)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp],
      env: { WRITEBACK_SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
    });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('goes unready before it stops, exits cleanly, and every operation accepted around it ends applied', async () => {
    const name = 'executor-corp';
    const executor = fixture.system.processes.get(name);
    if (!executor) throw new Error(`no ${name} process`);
    let exited = false;
    const exitCode = executor.exited.then((code) => {
      exited = true;
      return code;
    });
    const attempts = USERS.map((sam, i) => ({
      user: forestUser(forests.corp, sam),
      password: `Drain-${stamp}-${i}-Pw1!`,
    }));

    const accepted = await Promise.all(
      attempts.map(async ({ user, password }) => {
        const { status, body } = await fixture.request(adminReset(user.upn, password));
        expect(status).toBe(202);
        return body['operationId'] as string;
      }),
    );
    process.kill(executor.pid, 'SIGTERM');

    const unready = await waitFor(
      async () => {
        const response = await fetch(new URL('/health/ready', executor.url));
        const body = (await response.json()) as { checks?: Record<string, string> };
        return response.status === 503 && body.checks?.['shutdown'] === 'down' && { stillRunning: !exited };
      },
      { timeoutMs: 10_000, intervalMs: 50, description: `${name} to answer /health/ready with 503` },
    );
    expect(unready.stillRunning).toBe(true);
    // Still alive while draining: the orchestrator must not restart it, only stop routing to it.
    expect((await fetch(new URL('/health/live', executor.url))).status).toBe(200);
    expect(await exitCode).toBe(0);

    await fixture.system.restart(name);
    for (const [i, operationId] of accepted.entries()) {
      const attempt = attempts[i];
      if (!attempt) throw new Error(`no attempt ${i}`);
      expect(await fixture.outcome(operationId)).toMatchObject({ status: 'applied', domainId: 'corp' });
      expect(await canBind(forests.corp, attempt.user.upn, attempt.password)).toBe(true);
    }
    const log = await fixture.logs(new RegExp(name));
    expect(log).toContain(`"drainMs":${DRAIN_MS}`);
  });
});
