import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  bindSecretEnv,
  type CliRun,
  forestUser,
  runCli,
  startWritebackFixture,
  testEnvironment,
  type WritebackFixture,
} from '@writeback/testing';

/**
 * The operator's day from the terminal, run as the real binary against the embedded default and
 * the corp forest: a domain changed after it was added (If-Match), operations followed and
 * listed, the audit trail read and exported. No output ever holds a password.
 */
describe('writeback CLI: domains set, operations, audit records and export', () => {
  const { forests } = testEnvironment();
  const { corp } = forests;
  const stamp = Date.now().toString(36);
  const password = `Ops-${stamp}-Aa1!`;
  let fixture: WritebackFixture;
  let applied: string;
  let rejected: string;
  const operatorToken = (): Promise<string> => fixture.issuer.token('ops-alice', { scope: 'writeback.operator' });

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'embedded', forests: [corp] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    const result = await runCli(fixture, args, {
      WRITEBACK_TOKEN: await operatorToken(),
      [bindSecretEnv(corp)]: corp.serviceAccount.password,
      ...env,
    });
    expect(result.stdout + result.stderr).not.toContain(password);
    return result;
  }

  it('domains set changes the fields named, shows before -> after, and doctor says a name mismatch is one', async () => {
    const set = await cli(['--json', 'domains', 'set', '--domain', 'corp', '--tls-server-name', 'wrong.example']);
    expect(set.code).toBe(0);
    expect(set.json['changes']).toEqual([{ field: 'tlsServerName', before: '(none)', after: 'wrong.example' }]);
    expect(set.json['domain']).toMatchObject({ id: 'corp', tlsServerName: 'wrong.example' });
    // A change names its endpoint (H1's convention): on stderr, and in the --json result.
    expect(set.json).toMatchObject({ endpoint: fixture.system.configUrl, context: null });
    expect(set.stderr).toContain(`writeback: changing config-service at ${fixture.system.configUrl}`);
    expect(set.stderr).not.toContain('deprecated');

    let doctor: CliRun;
    try {
      doctor = await cli(['--json', 'doctor', '--domain', 'corp']);
    } finally {
      await fixture.updateDomain('corp', { tlsServerName: null });
    }
    expect(doctor.code).toBe(1);
    const ldaps = (doctor.json['findings'] as Array<{ check: string; status: string; detail: string }>).find(
      (f) => f.check === `LDAPS ${corp.ldapsUrl}`,
    );
    expect(ldaps?.status).toBe('fail');
    expect(ldaps?.detail).toContain('the certificate is trusted by the configured CA');
    expect(ldaps?.detail).toContain('its names do not include wrong.example');
    // The names come from the certificate the DC presented.
    expect(ldaps?.detail).toContain(`it names IP Address:${corp.ip}, DNS:`);
    expect(ldaps?.detail).toContain('writeback domains set --domain corp --tls-server-name ');

    // The positional domain still works, deprecated, as for the other `domains` subcommands.
    const positional = await cli(['domains', 'set', 'corp', '--tls-server-name', 'wrong.example']);
    expect(positional.code).toBe(0);
    expect(positional.stderr).toContain('`domains set corp` is deprecated; use `domains set --domain corp`');
    const back = await cli([
      'domains',
      'set',
      '--domain',
      'corp',
      '--no-tls-server-name',
      '--display-name',
      `Corp ${stamp}`,
    ]);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/tlsServerName\s*│\s*wrong\.example\s*│\s*\(none\)/);
    expect(back.stdout).toMatch(/displayName\s*│.*│\s*Corp \w+/);
    expect(back.stdout).toContain(`at ${fixture.system.configUrl}`);

    const same = await cli(['--json', 'domains', 'set', '--domain', 'corp', '--tls-ca-file', corp.caPemPath]);
    expect(same).toMatchObject({ code: 0, json: { changes: [] } });
    const renewed = await cli(['domains', 'set', '--domain', 'corp', '--no-tls-ca']);
    expect(renewed.stdout).toMatch(
      /tlsCaPem\s*│\s*CA ".+" \(SHA-256 [0-9A-F:]+…, until [\d-]+\)\s*│\s*\(system store\)/,
    );
    expect(renewed.stdout).not.toContain('BEGIN CERTIFICATE');
    expect((await cli(['domains', 'set', '--domain', 'corp', '--tls-ca-file', corp.caPemPath])).code).toBe(0);
    expect((await cli(['domains', 'set', '--domain', 'corp'])).code).toBe(2);
  });

  it('domains set --file is refused with 412, nothing changed, when the file was read at an older version', async () => {
    const shown = await cli(['--json', 'domains', 'show', '--domain', 'corp']);
    const file = join(fixture.workDir, 'corp.json');
    await writeFile(file, JSON.stringify({ ...shown.json, displayName: 'Stale edit' }));
    // Someone changes the domain after the file was read.
    expect(shown.json['allowUnlockWithoutReset']).toBe(true);
    expect((await fixture.setSwitches('corp', { allowUnlockWithoutReset: false })).status).toBe(200);

    const refused = await cli(['domains', 'set', '--domain', 'corp', '--file', file]);

    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(`412 domain corp is at version ${Number(shown.json['version']) + 1}`);
    expect(refused.stderr).toContain('nothing was changed');
    const after = await cli(['--json', 'domains', 'show', '--domain', 'corp']);
    expect(after.json).toMatchObject({ displayName: shown.json['displayName'], allowUnlockWithoutReset: false });

    const { version: _v, ...unversioned } = shown.json;
    await writeFile(file, JSON.stringify({ ...unversioned, allowUnlockWithoutReset: true }));
    const fromFile = await cli(['--json', 'domains', 'set', '--domain', 'corp', '--file', file]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.json['changes']).toEqual([{ field: 'allowUnlockWithoutReset', before: 'false', after: 'true' }]);
  });

  it('operations get --wait follows an operation to its end; list filters by status, reason, domain and time', async () => {
    const user = forestUser(corp, 'nina');
    const request = (upn: string) =>
      fixture.request({
        kind: 'admin-reset',
        channel: 'admin-center',
        initiator: { id: 'helpdesk@cloud.example', isAdministrator: true },
        target: { userPrincipalName: upn },
        newPassword: password,
      });
    const accepted = await request(user.upn);
    expect(accepted.status).toBe(202);
    applied = accepted.body['operationId'] as string;

    const waited = await cli(['--json', 'operations', 'get', applied, '--wait', '--timeout-seconds', '90']);

    expect(waited).toMatchObject({ code: 0, json: { operationId: applied, status: 'applied', domainId: 'corp' } });
    const refusal = await request(`nobody-${stamp}@unknown.example.test`);
    expect(refusal.status).toBe(202);
    rejected = refusal.body['operationId'] as string;
    const rejectedView = await fixture.outcome(rejected);
    expect(rejectedView.status).toBe('rejected');
    const reason = rejectedView.reason?.code as string;

    const shown = await cli(['operations', 'get', rejected]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(reason);
    expect(shown.stdout).toContain(rejected);
    expect((await cli(['operations', 'get', 'not-an-id'])).code).toBe(2);

    const ids = async (...filters: string[]): Promise<string[]> => {
      const listed = await cli(['--json', 'operations', 'list', '--since', '10m', ...filters]);
      expect(listed.code).toBe(0);
      return listed.json.map((o) => o['operationId'] as string).filter((id) => [applied, rejected].includes(id));
    };
    expect(await ids()).toEqual([rejected, applied]);
    expect(await ids('--status', 'rejected')).toEqual([rejected]);
    expect(await ids('--reason', reason)).toEqual([rejected]);
    expect(await ids('--domain', 'corp', '--status', 'applied')).toEqual([applied]);
    expect(await ids('--user', user.upn.toUpperCase())).toEqual([applied]);
    expect(await ids('--since', new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    const one = await cli(['--json', 'operations', 'list', '--limit', '1']);
    expect(one.json.map((o) => o['operationId'])).toEqual([rejected]);
    const table = await cli(['operations', 'list', '--since', '10m', '--status', 'rejected']);
    expect(table.stdout).toContain(rejected);
    expect(table.stdout).not.toContain('…');

    const auditor = await fixture.issuer.token('auditor-ann', { scope: 'writeback.auditor' });
    expect((await cli(['operations', 'list'], { WRITEBACK_TOKEN: auditor })).code).toBe(0);
    const portal = await fixture.issuer.token('sspr-portal');
    const forbidden = await cli(['operations', 'list'], { WRITEBACK_TOKEN: portal });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('403');
    expect((await cli(['operations', 'list', '--status', 'lost'])).code).toBe(2);
  });

  it('audit records and audit export --format csv|json give the records, with no password in them', async () => {
    await fixture.auditHistory(applied, 3);
    const records = await cli(['--json', 'audit', 'records', '--operation', applied]);
    expect(records.code).toBe(0);
    const types = records.json.map((r) => r['type']);
    expect(types).toEqual(expect.arrayContaining(['PasswordChangeRequested', 'WritebackApproved', 'WritebackApplied']));
    expect(records.json.every((r) => r['operationId'] === applied)).toBe(true);
    const outcomes = await cli(['audit', 'records', '--outcome', 'rejected', '--since', '10m']);
    expect(outcomes.stdout).toContain(rejected);

    const csv = await cli(['audit', 'export', '--format', 'csv', '--operation', applied]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'recordId,occurredAt,operationId,type,domainId,targetUpn,reasonCode,caller,traceparent,eventId',
    );
    expect(lines.slice(1).map((l) => l.split(',')[3])).toEqual(types);
    expect(csv.stderr).toContain(`${types.length} audit records exported`);
    // A page at a time, the header written once, the count so far after each page.
    const paged = await cli(['audit', 'export', '--format', 'csv', '--operation', applied, '--page-size', '2']);
    expect(paged.stdout).toBe(csv.stdout);
    expect(paged.stderr).toContain('… 2 records exported');
    const pagedJson = await cli(['audit', 'export', '--format', 'json', '--operation', applied, '--page-size', '1']);
    expect((JSON.parse(pagedJson.stdout) as Array<Record<string, unknown>>).map((r) => r['type'])).toEqual(types);
    expect(pagedJson.stderr).toContain('… 1 records exported');
    const quiet = await cli(['--quiet', 'audit', 'export', '--format', 'csv', '--operation', applied]);
    expect(quiet.stderr).toBe('');
    const none = await cli(['audit', 'export', '--format', 'csv', '--user', `nobody-${stamp}@corp.example.test`]);
    expect(none.stdout.trim()).toBe(lines[0]);

    const file = join(fixture.workDir, 'corp-audit.json');
    const exported = await cli(['--json', 'audit', 'export', '--format', 'json', '--domain', 'corp', '--output', file]);
    expect(exported.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(password);
    const entries = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(exported.json).toMatchObject({ exported: entries.length, file, format: 'json' });
    expect(entries.every((e) => e['domainId'] === 'corp')).toBe(true);
    expect(entries.map((e) => e['operationId'])).toEqual(expect.arrayContaining([applied]));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(text);
    const unfinished = join(fixture.workDir, 'unfinished.json');
    const down = await cli(['audit', 'export', '--format', 'json', '--output', unfinished], {
      WRITEBACK_AUDIT_URL: 'http://127.0.0.1:9',
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unreachable');
    await expect(stat(unfinished)).rejects.toThrow('ENOENT');
    await expect(stat(`${unfinished}.partial`)).rejects.toThrow('ENOENT');
    const empty = await cli(['audit', 'export', '--format', 'json', '--user', `nobody-${stamp}@corp.example.test`]);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });
});
