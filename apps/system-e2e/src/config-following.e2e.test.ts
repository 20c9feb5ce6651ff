import {
  forestUser,
  parsePrometheusText,
  sampleValue,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset } from './scenarios';

/**
 * Services follow configuration changes (ADR 0019): each service reuses its read of the domain
 * configuration for ten minutes here, far longer than the test, so a service that waited for
 * that read to expire fails it. What it may not do is refuse or fail an operation on a read
 * older than a change an operator made before the request.
 */
describe.each(['embedded', 'distributed'] as const)('configuration followed, not guessed (%s)', (mode) => {
  const { forests } = testEnvironment();
  const user = forestUser(forests.fabrikam, 'xavier').upn;
  const stamp = Date.now().toString(36);
  let tries = 0;
  const password = (): string => `Followed-${stamp}-${++tries}-Aa1!`;
  let fixture: WritebackFixture;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode,
      forests: [forests.corp, forests.fabrikam],
      configureDomains: false,
      env: { WRITEBACK_CONFIG_CACHE_MS: '600000' },
    });
    await fixture.configureDomain(forests.corp);
    // The gate reads the configuration (corp only) and keeps that read; the executors read it
    // for their readiness.
    const early = await fixture.request(adminReset(user, password()));
    const code = (early.body['reason'] as { code?: string } | null)?.code;
    if (code !== 'TARGET.NO_MATCHING_DOMAIN') throw new Error(`fabrikam is routed before it is configured: ${code}`);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function submit(): Promise<{ status: string; operationId: string; reason?: { code: string } }> {
    const { status, body } = await fixture.request(adminReset(user, password()));
    expect(status).toBe(202);
    return body as { status: string; operationId: string; reason?: { code: string } };
  }

  it('applies a request for a domain added and enabled just before it', async () => {
    await fixture.configureDomain(forests.fabrikam, { writebackEnabled: false });
    expect((await fixture.setSwitches('fabrikam', { writebackEnabled: true })).status).toBe(200);

    const accepted = await submit();

    expect(accepted.status).toBe('approved');
    const outcome = await fixture.outcome(accepted.operationId);
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 'applied', reason: null });
  });

  it('follows a domain disabled at once, and enabled again at once', async () => {
    expect((await fixture.setSwitches('fabrikam', { writebackEnabled: false })).status).toBe(200);
    // An approval reads nothing: only the change event can make the gate refuse within this wait.
    const refused = await waitFor(
      async () => {
        const answer = await submit();
        return answer.status === 'rejected' ? answer : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'the gate to refuse for the disabled domain' },
    );
    expect(refused.reason?.code).toBe('POLICY.WRITEBACK_DISABLED');

    expect((await fixture.setSwitches('fabrikam', { writebackEnabled: true })).status).toBe(200);
    const accepted = await submit();

    expect(accepted.status).toBe('approved');
    expect((await fixture.outcome(accepted.operationId)).status).toBe('applied');
  });

  it('reads no configuration per operation', async () => {
    const reads = async (): Promise<number> => {
      const text = await (await fetch(new URL('/metrics', fixture.system.configUrl))).text();
      const labels = { method: 'GET', route: '/v1/domains', status_code: '200' };
      return (
        sampleValue(parsePrometheusText(text), 'writeback_http_server_request_duration_seconds_count', labels) ?? 0
      );
    };
    const before = await reads();
    for (let i = 0; i < 10; i++) {
      const accepted = await submit();
      expect((await fixture.outcome(accepted.operationId)).status).toBe('applied');
    }
    // Ten operations read nothing; at most the gate and the executor each read once, should the
    // last change's event reach them only now. A read per operation would be twenty.
    expect((await reads()) - before).toBeLessThanOrEqual(2);
  });
});
