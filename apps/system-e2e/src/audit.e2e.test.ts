import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@writeback/supervisor';
import { forestUser, startWritebackFixture, testEnvironment, type WritebackFixture } from '@writeback/testing';
import { Client } from 'pg';
import { adminReset } from './scenarios';

const run = promisify(execFile);

/**
 * The audit trail: full ordered histories, queries with cursors and CSV export, and a hash
 * chain that `writeback audit verify` checks and that names a record altered in the database.
 */
describe('audit service (embedded, two forests)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;
  const ids: Record<string, string> = {};
  const ken = forestUser(forests.corp, 'ken');
  const lena = forestUser(forests.fabrikam, 'lena');

  const audit = async (query: string): Promise<{ status: number; body: string; headers: Headers }> => {
    const response = await fetch(new URL(`/v1/audit/records?${query}`, fixture.system.auditUrl), {
      headers: {
        authorization: `Bearer ${await fixture.issuer.token('records-auditor', { scope: 'writeback.auditor' })}`,
      },
    });
    return { status: response.status, body: await response.text(), headers: response.headers };
  };
  const records = async (
    query: string,
  ): Promise<{ items: Array<Record<string, unknown>>; nextCursor: string | null }> =>
    JSON.parse((await audit(query)).body) as { items: Array<Record<string, unknown>>; nextCursor: string | null };

  const verify = async (): Promise<{ code: number; report: Record<string, unknown> }> => {
    const cli = join(repositoryRoot(), 'apps/cli/dist/main.js');
    const env = { ...process.env, WRITEBACK_DATABASE_URL: fixture.databaseUrl };
    try {
      const { stdout } = await run(process.execPath, [cli, 'audit', 'verify', '--json'], { env });
      return { code: 0, report: JSON.parse(stdout) as Record<string, unknown> };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, report: JSON.parse(failed.stdout) as Record<string, unknown> };
    }
  };

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'embedded', forests: [forests.corp, forests.fabrikam] });
    const submit = async (name: string, body: Record<string, unknown>): Promise<void> => {
      const { body: accepted } = await fixture.request(body, { caller: `portal-${name}` });
      ids[name] = accepted['operationId'] as string;
      await fixture.outcome(ids[name]);
    };
    await submit('ken', adminReset(ken.upn, `Audit-ken-${stamp}-Aa1!`));
    await submit('lena', adminReset(lena.upn, `Audit-lena-${stamp}-Aa1!`));
    await submit('nowhere', adminReset('someone@unknown.example.test', `Audit-x-${stamp}-Aa1!`));
    await fixture.auditHistory(ids['nowhere'] as string, 2);
    await fixture.auditHistory(ids['lena'] as string, 3);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it("returns each operation's full ordered history, with caller and trace id", async () => {
    const { items } = await records(`operationId=${ids['ken']}`);
    expect(items.map((r) => r['type'])).toEqual(['PasswordChangeRequested', 'WritebackApproved', 'WritebackApplied']);
    expect(items[0]?.['data']).toMatchObject({ caller: { subject: 'portal-ken' }, request: { kind: 'admin-reset' } });
    const traceIds = new Set(items.map((r) => String(r['traceparent']).split('-')[1]));
    expect(traceIds.size).toBe(1);
  });

  it('filters by user, domain, outcome and time range', async () => {
    expect(
      (await records(`targetUpn=${encodeURIComponent(lena.upn.toUpperCase())}`)).items.map((r) => r['operationId']),
    ).toEqual([ids['lena'], ids['lena'], ids['lena']]);
    const applied = await records('domainId=corp&outcome=applied');
    expect(applied.items.map((r) => r['operationId'])).toContain(ids['ken']);
    expect(applied.items.every((r) => r['type'] === 'WritebackApplied' && r['domainId'] === 'corp')).toBe(true);
    const rejected = await records('outcome=rejected');
    expect(rejected.items.map((r) => r['operationId'])).toEqual([ids['nowhere']]);
    expect((await records('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).items).toEqual([]);
  });

  it('pages with a cursor, and exports CSV', async () => {
    const all = await records('limit=500');
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<Record<string, unknown>>; nextCursor: string | null } = await records(
        `limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r['eventId']));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((r) => r['eventId']));

    const csv = await audit(`operationId=${ids['lena']}&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe(
      'recordId,occurredAt,operationId,type,domainId,targetUpn,reasonCode,caller,traceparent,eventId',
    );
    expect(lines).toHaveLength(4);
    // Every row names who asked, not only the request's: a CSV of refusals shows it too.
    const callerColumn = (text: string): string[] =>
      text
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',')[7] ?? '');
    expect(callerColumn(csv.body)).toEqual(['portal-lena', 'portal-lena', 'portal-lena']);
    expect(callerColumn((await audit('outcome=rejected&format=csv')).body)).toEqual(['portal-nowhere']);
    expect((await audit('limit=9999')).status).toBe(400);
  });

  it("applies a domain's retention, keeping the rest of its chain verifiable", async () => {
    const runRetention = async (scope: string): Promise<Response> =>
      fetch(new URL('/v1/audit/retention/run', fixture.system.auditUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await fixture.issuer.token('records-officer', { scope })}`,
        },
        body: JSON.stringify({ asOf: new Date(Date.now() + 2 * 86_400_000).toISOString() }),
      });
    await fixture.updateDomain('corp', { auditRetentionDays: 1 });
    // Both corp configuration changes (creation, this one) are in its chain before retention runs.
    await fixture.domainChanges('corp', 2);
    expect((await runRetention('writeback')).status).toBe(403);
    const response = await runRetention('writeback.operator');
    expect(response.status).toBe(200);
    const { removed } = (await response.json()) as { removed: Record<string, number> };
    expect(removed['corp']).toBeGreaterThanOrEqual(3);
    expect(removed['fabrikam']).toBeUndefined();
    expect((await records('domainId=corp')).items).toEqual([]);
    expect((await records(`operationId=${ids['lena']}`)).items).toHaveLength(3);
    expect(await verify()).toMatchObject({ code: 0, report: { ok: true } });

    // The chain resumes from its checkpoint.
    const { body: accepted } = await fixture.request(adminReset(ken.upn, `Audit-ken2-${stamp}-Aa1!`));
    await fixture.outcome(accepted['operationId'] as string);
    await fixture.auditHistory(accepted['operationId'] as string, 3);
    expect(await verify()).toMatchObject({ code: 0, report: { ok: true } });
  });

  it('verifies an untouched trail, and names the record altered in the database', async () => {
    const clean = await verify();
    expect(clean).toMatchObject({ code: 0, report: { ok: true, firstBroken: null } });
    expect(clean.report['records']).toBeGreaterThanOrEqual(5);

    const { items } = await records(`operationId=${ids['lena']}`);
    const victim = items[1] as Record<string, unknown>;
    const db = new Client({ connectionString: fixture.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE audit_records SET target_upn = 'mallory@fabrikam.example.test' WHERE id = $1`, [
        victim['recordId'],
      ]);
    } finally {
      await db.end();
    }
    const broken = await verify();
    expect(broken).toMatchObject({
      code: 1,
      report: {
        ok: false,
        firstBroken: { recordId: victim['recordId'], eventId: victim['eventId'], chain: 'fabrikam' },
      },
    });
  });
});
