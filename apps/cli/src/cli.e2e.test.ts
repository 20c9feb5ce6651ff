import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import {
  AceFlags,
  DaclOnlyControl,
  encodeSecurityDescriptor,
  parseSecurityDescriptor,
  SdControl,
} from '@writeback/directory';
import {
  bindSecretEnv,
  canBind,
  type CliRun,
  createPlainAccount,
  forestUser,
  type LdapsEndpoint,
  runCli,
  setEntryAttribute,
  startWritebackFixture,
  testEnvironment,
  type ForestInfo,
  type WritebackFixture,
  withLdapsBind,
} from '@writeback/testing';

const ONE_DAY = '-864000000000';

/**
 * "Disable inheritance" on an object, as an administrator does in ADUC choosing to remove the
 * inherited permissions: the DACL is protected and keeps only its explicit ACEs.
 */
async function disableInheritance(forest: LdapsEndpoint, dn: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client) => {
    const { searchEntries } = await client.search(
      dn,
      { scope: 'base', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] },
      new DaclOnlyControl(),
    );
    const sd = parseSecurityDescriptor(searchEntries[0]?.['nTSecurityDescriptor'] as Buffer);
    const protectedSd = encodeSecurityDescriptor({
      ...sd,
      control: sd.control | SdControl.DACL_PROTECTED,
      dacl: (sd.dacl ?? []).filter((ace) => (ace.flags & AceFlags.INHERITED) === 0),
    });
    await client.modify(
      dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'nTSecurityDescriptor', values: [protectedSd] }),
      }),
      new DaclOnlyControl(),
    );
  });
}

/**
 * The operator's acceptance of the `writeback` CLI, run as the real binary against the
 * embedded default and both Samba forests: domains added and enabled with it, the service
 * account's rights checked and granted, doctor and validate, history and key rotation.
 */
describe('writeback CLI (embedded default, two forests)', () => {
  const { forests } = testEnvironment();
  const { corp, fabrikam } = forests;
  const stamp = Date.now().toString(36);
  const cliAccount = { sam: `svc-cli-${stamp}`.slice(0, 20), password: `Cli-${stamp}-Aa1!` };
  const cliSecretEnv = 'WRITEBACK_TEST_BIND_SVC_CLI';
  let fixture: WritebackFixture;
  // A token per call: one issued in beforeAll expires (5 minutes) before a slow run ends.
  const operatorToken = (): Promise<string> => fixture.issuer.token('ops-alice', { scope: 'writeback.operator' });

  beforeAll(async () => {
    await createPlainAccount(corp, cliAccount.sam, cliAccount.password);
    fixture = await startWritebackFixture({
      mode: 'embedded',
      forests: [corp, fabrikam],
      configureDomains: false,
      env: { [cliSecretEnv]: cliAccount.password },
    });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return runCli(fixture, args, {
      WRITEBACK_TOKEN: await operatorToken(),
      [cliSecretEnv]: cliAccount.password,
      [bindSecretEnv(fabrikam)]: fabrikam.serviceAccount.password,
      ...env,
    });
  }

  async function reset(forest: ForestInfo, sam: string, password: string): Promise<Record<string, unknown>> {
    const { status, body } = await fixture.request({
      kind: 'admin-reset',
      channel: 'admin-center',
      initiator: { id: 'helpdesk@cloud.example', isAdministrator: true },
      target: { userPrincipalName: forestUser(forest, sam).upn },
      newPassword: password,
    });
    expect(status).toBe(202);
    return (await fixture.outcome(body['operationId'] as string)) as unknown as Record<string, unknown>;
  }

  const domainFlags = (forest: ForestInfo, bindDn: string, secretEnv: string): string[] => [
    '--display-name',
    forest.realm,
    '--ldap-url',
    forest.ldapsUrl,
    '--base-dn',
    forest.baseDn,
    '--upn-suffix',
    forest.domainDnsName,
    '--bind-dn',
    bindDn,
    '--bind-secret-ref',
    `env:${secretEnv}`,
    '--tls-ca-file',
    forest.caPemPath,
  ];

  it('adds both forests, each with its key, and leaves writeback off until enabled', async () => {
    const corpAdd = await cli([
      '--json',
      'domains',
      'add',
      'corp',
      ...domainFlags(corp, `${cliAccount.sam}@${corp.domainDnsName}`, cliSecretEnv),
      '--key-dir',
      fixture.keyDir,
    ]);
    expect(corpAdd).toMatchObject({ code: 0, json: { domain: { id: 'corp', writebackEnabled: false } } });

    const key = await cli(['--json', 'keys', 'generate', '--domain', 'fabrikam', '--key-dir', fixture.keyDir]);
    expect(key.code).toBe(0);
    const fabrikamAdd = await cli([
      'domains',
      'add',
      'fabrikam',
      ...domainFlags(fabrikam, fabrikam.serviceAccount.upn, bindSecretEnv(fabrikam)),
      '--public-key',
      key.json['publicKey'] as string,
    ]);
    expect(fabrikamAdd.code).toBe(0);
    expect(fabrikamAdd.stdout).toContain('writeback enable --domain fabrikam');

    const list = await cli(['--json', 'domains', 'list']);
    expect(list.json.map((d) => [d['id'], d['writebackEnabled']])).toEqual([
      ['corp', false],
      ['fabrikam', false],
    ]);
    const show = await cli(['domains', 'show', 'corp']);
    expect(show.stdout).toContain(`env:${cliSecretEnv}`);
    expect(show.stdout).not.toContain(cliAccount.password);
  });

  it('permissions: check lists each missing right and the OU with inheritance disabled; grant fixes them, once', async () => {
    await disableInheritance(corp, `OU=Isolated,${corp.baseDn}`);
    const before = await cli(['--json', 'permissions', 'check', '--domain', 'corp']);
    expect(before.code).toBe(1);
    const states = Object.fromEntries(
      (before.json['rootRights'] as Array<{ right: { id: string }; state: string }>).map((f) => [f.right.id, f.state]),
    );
    expect(states).toMatchObject({
      'reset-password': 'missing',
      'write-lockoutTime': 'missing',
      'write-pwdLastSet': 'missing',
    });
    expect(before.json['inheritanceDisabled']).toEqual(
      expect.arrayContaining([{ dn: `OU=Isolated,${corp.baseDn}`, objectClass: 'organizationalUnit' }]),
    );
    const text = await cli(['permissions', 'check', '--domain', 'corp']);
    expect(text.stdout).toMatch(/Reset Password on user objects\s*│\s*MISSING/);
    expect(text.stdout).toMatch(/Write lockoutTime on user objects\s*│\s*MISSING/);
    expect(text.stdout).toMatch(/Write pwdLastSet on user objects\s*│\s*MISSING/);

    const admin = { WRITEBACK_ADMIN_PASSWORD: corp.admin.password };
    const grant = await cli(['--json', 'permissions', 'grant', '--domain', 'corp', '--admin', corp.admin.upn], admin);
    expect(grant.code).toBe(0);
    expect(grant.json['added']).toHaveLength(4);

    const granted = await cli(['--json', 'permissions', 'check', '--domain', 'corp']);
    expect((granted.json['rootRights'] as Array<{ state: string }>).every((f) => f.state === 'granted')).toBe(true);
    // Everyone but the user below the isolated OU now receives the rights.
    expect(granted.json['usersLackingRights']).toEqual([
      {
        dn: `CN=ursula,OU=Isolated,${corp.baseDn}`,
        missing: ['reset-password', 'write-lockoutTime', 'write-pwdLastSet'],
      },
    ]);
    expect(granted.code).toBe(1);

    expect((await cli(['scope', 'set', '--domain', 'corp', '--ou', `OU=Staff,${corp.baseDn}`])).code).toBe(0);
    const passing = await cli(['permissions', 'check', '--domain', 'corp']);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('PASS');

    const again = await cli(['permissions', 'grant', '--domain', 'corp', '--admin', corp.admin.upn], admin);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to change');
  });

  it('writes back on the enabled forest only, then on the second once enabled, without a restart', async () => {
    const pids = [...fixture.system.processes.values()].map((p) => p.pid);
    expect((await cli(['enable', '--domain', 'corp'])).code).toBe(0);
    const corpPassword = `Cli-corp-${stamp}-Aa1!`;
    expect(await reset(corp, 'olga', corpPassword)).toMatchObject({ status: 'applied' });
    expect(await canBind(corp, forestUser(corp, 'olga').upn, corpPassword)).toBe(true);
    expect(await reset(fabrikam, 'pete', `Cli-fab1-${stamp}-Aa1!`)).toMatchObject({
      status: 'rejected',
      reason: { code: 'POLICY.WRITEBACK_DISABLED' },
    });

    const bob = await fixture.issuer.token('ops-bob', { scope: 'writeback.operator' });
    expect((await cli(['enable', '--domain', 'fabrikam'], { WRITEBACK_TOKEN: bob })).code).toBe(0);
    const fabPassword = `Cli-fab2-${stamp}-Aa1!`;
    expect(await reset(fabrikam, 'pete', fabPassword)).toMatchObject({ status: 'applied' });
    expect(await canBind(fabrikam, forestUser(fabrikam, 'pete').upn, fabPassword)).toBe(true);
    expect([...fixture.system.processes.values()].map((p) => p.pid)).toEqual(pids);
  });

  it('shows in the configuration history who changed each switch', async () => {
    const history = await cli(['--json', 'domains', 'history', 'fabrikam']);
    expect(history.code).toBe(0);
    const who = (c: Record<string, unknown>): string => (c['changedBy'] as { subject: string }).subject;
    expect(
      history.json.map((c) => [c['action'], who(c), (c['changedFields'] as string[]).includes('writebackEnabled')]),
    ).toEqual([
      ['created', 'ops-alice', true],
      ['updated', 'ops-bob', true],
    ]);
    expect(history.json[1]?.['changedFields']).toEqual(['writebackEnabled']);
    const text = await cli(['domains', 'history', 'fabrikam']);
    expect(text.stdout).toContain('ops-bob');
    expect(text.stdout).toContain('writebackEnabled: false -> true');
  });

  it('refuses a change made from an outdated read (If-Match), so a concurrent switch is never undone', async () => {
    const url = new URL('/v1/domains/corp', fixture.system.configUrl);
    const asOperator = { authorization: `Bearer ${await operatorToken()}`, 'content-type': 'application/json' };
    const read = await fetch(url, { headers: asOperator });
    const stale = (await read.json()) as Record<string, unknown>;
    expect(read.headers.get('etag')).toBe(`"${String(stale['version'])}"`);
    const { keyId: _k, version, createdAt: _c, updatedAt: _u, ...config } = stale;

    const patched = await fetch(`${url.href}/switches`, {
      method: 'PATCH',
      headers: { ...asOperator, 'if-match': `"${String(version)}"` },
      body: JSON.stringify({ allowUnlockWithoutReset: true }),
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe(`"${Number(version) + 1}"`);
    const staleScope = { ...config, scope: { organizationalUnits: [], groups: [], ldapFilter: null } };
    const conflict = await fetch(url, {
      method: 'PUT',
      headers: { ...asOperator, 'if-match': `"${String(version)}"` },
      body: JSON.stringify(staleScope),
    });
    expect(conflict.status).toBe(412);
    expect(await conflict.json()).toMatchObject({
      message: `domain corp is at version ${Number(version) + 1}, not ${String(version)}: it changed since it was read; read it again and retry`,
      expectedVersion: version,
      currentVersion: Number(version) + 1,
    });
    const malformed = await fetch(`${url.href}/switches`, {
      method: 'PATCH',
      headers: { ...asOperator, 'if-match': 'yesterday' },
      body: JSON.stringify({ allowUnlockWithoutReset: false }),
    });
    expect(malformed.status).toBe(400);
    expect(await (await fetch(url, { headers: asOperator })).json()).toMatchObject({
      allowUnlockWithoutReset: true,
      scope: config['scope'],
    });

    // The CLI's read-modify-write, with an `enable`-like switch committed between its read and
    // its write by a proxy in front of config-service.
    const interposed: number[] = [];
    const proxy: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void (async () => {
          if (request.method === 'PUT') {
            interposed.push((await fixture.setSwitches('corp', { allowUnlockWithoutReset: false })).status);
          }
          const headers = Object.fromEntries(
            Object.entries(request.headers).filter(
              (e): e is [string, string] => typeof e[1] === 'string' && !['host', 'content-length'].includes(e[0]),
            ),
          );
          const forwarded = await fetch(new URL(request.url ?? '/', fixture.system.configUrl), {
            method: request.method ?? 'GET',
            headers,
            ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
          });
          response.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? '' });
          response.end(await forwarded.text());
        })().catch((error: unknown) => response.writeHead(599).end(String(error)));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const viaProxy = { WRITEBACK_CONFIG_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
      const refused = await cli(['--json', 'scope', 'set', '--domain', 'corp', '--clear'], viaProxy);
      expect(interposed).toEqual([200]);
      expect(refused.code).toBe(1);
      expect(refused.json).toMatchObject({ exitCode: 1 });
      expect(refused.stderr).toContain('412 domain corp is at version');
      expect(refused.stderr).toContain('nothing was changed; run the command again');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    // The concurrent switch stands, the scope is untouched.
    expect(await (await fetch(url, { headers: asOperator })).json()).toMatchObject({
      allowUnlockWithoutReset: false,
      scope: config['scope'],
    });

    // Without If-Match a PUT still applies to whatever version is stored.
    const current = (await (await fetch(url, { headers: asOperator })).json()) as Record<string, unknown>;
    const unconditional = await fetch(url, {
      method: 'PUT',
      headers: asOperator,
      body: JSON.stringify({ ...config, allowUnlockWithoutReset: true }),
    });
    expect(unconditional.status).toBe(200);
    expect(await unconditional.json()).toMatchObject({ version: Number(current['version']) + 1 });

    const switched = await cli(['--json', 'switches', '--domain', 'corp', '--allow-unlock-without-reset', 'off']);
    expect(switched.code).toBe(0);
    expect((switched.json['domains'] as unknown[])[0]).toMatchObject({
      id: 'corp',
      allowUnlockWithoutReset: false,
      writebackEnabled: true,
    });
  });

  it('doctor flags a minimum password age above 0 with the seed consequence, and passes once it is 0', async () => {
    const env = { WRITEBACK_DATABASE_URL: fixture.databaseUrl };
    await setEntryAttribute(corp, corp.baseDn, 'minPwdAge', ONE_DAY);
    try {
      const flagged = await cli(['--json', 'doctor', '--domain', 'corp'], env);
      expect(flagged.code).toBe(1);
      const findings = flagged.json['findings'] as Array<{ check: string; status: string; detail: string }>;
      const age = findings.find((f) => f.check === 'minimum password age');
      expect(age?.status).toBe('fail');
      expect(age?.detail).toContain('1 day(s)');
      expect(findings.filter((f) => f.status === 'fail').map((f) => f.check)).toEqual(['minimum password age']);
      expect(findings.map((f) => f.check)).toEqual(
        expect.arrayContaining([
          'config-service',
          'database',
          `LDAPS ${corp.ldapsUrl}`,
          `policy hints ${corp.ldapsUrl}`,
        ]),
      );
    } finally {
      await setEntryAttribute(corp, corp.baseDn, 'minPwdAge', '0');
    }
    const passing = await cli(['doctor', '--domain', 'corp'], env);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('doctor: no failures');
  });

  it("validate runs the seed's five scenarios against a test account and prints a pass/fail table", async () => {
    const tess = forestUser(corp, 'tess');
    const saved = join(fixture.workDir, 'tess.password');
    await setEntryAttribute(corp, corp.baseDn, 'lockoutThreshold', '3');
    let result: CliRun;
    try {
      result = await cli(['--json', 'validate', '--domain', 'corp', '--user', tess.upn, '--save-password', saved]);
    } finally {
      await setEntryAttribute(corp, corp.baseDn, 'lockoutThreshold', '0');
    }
    const scenarios = result.json['scenarios'] as Array<Record<string, unknown>>;
    expect(scenarios.map((s) => [s['scenario'], s['outcome'], s['passed']])).toEqual([
      ['sspr-reset', 'applied', true],
      ['forced-change', 'applied', true],
      ['regular-change', 'applied', true],
      ['admin-reset', 'applied', true],
      ['unlock-with-reset', 'applied', true],
    ]);
    expect(scenarios[4]?.['detail']).toBe('locked first (3 failed binds)');
    expect(result.code).toBe(0);
    const password = (await readFile(saved, 'utf8')).trim();
    expect(await canBind(corp, tess.upn, password)).toBe(true);
  });

  it('validate does not pass the unlock scenario on a domain where the account cannot be locked first', async () => {
    const tess = forestUser(corp, 'tess');
    const result = await cli(['--json', 'validate', '--domain', 'corp', '--user', tess.upn]);
    const scenarios = result.json['scenarios'] as Array<Record<string, unknown>>;
    expect(scenarios.map((s) => [s['scenario'], s['outcome'], s['passed'], s['skipped']])).toEqual([
      ['sspr-reset', 'applied', true, false],
      ['forced-change', 'applied', true, false],
      ['regular-change', 'applied', true, false],
      ['admin-reset', 'applied', true, false],
      ['unlock-with-reset', 'not run', false, true],
    ]);
    expect(scenarios[4]?.['detail']).toContain('skipped: the domain has no lockout threshold');
    expect(result.json['passed']).toBe(false);
    expect(result.code).toBe(1);
  });

  it('rotates the domain key without losing operations sealed with the old one', async () => {
    const passwords = Array.from({ length: 12 }, (_, i) => `Rotate-${i}-${stamp}-Aa1!`);
    const submit = async (password: string): Promise<string> => {
      const { status, body } = await fixture.request({
        kind: 'admin-reset',
        channel: 'admin-center',
        initiator: { id: 'helpdesk@cloud.example', isAdministrator: true },
        target: { userPrincipalName: forestUser(corp, 'olga').upn },
        newPassword: password,
      });
      expect(status).toBe(202);
      return body['operationId'] as string;
    };
    const firstHalf = await Promise.all(passwords.slice(0, 6).map(submit));
    const rotated = await cli(['--json', 'keys', 'rotate', '--domain', 'corp', '--key-dir', fixture.keyDir]);
    expect(rotated.code).toBe(0);
    const secondHalf: string[] = [];
    for (const password of passwords.slice(6)) secondHalf.push(await submit(password));
    for (const id of [...firstHalf, ...secondHalf]) {
      expect(await fixture.outcome(id)).toMatchObject({ status: 'applied' });
    }
    expect(await canBind(corp, forestUser(corp, 'olga').upn, passwords[11] as string)).toBe(true);

    const keys = await cli(['--json', 'keys', 'list', '--domain', 'corp', '--key-dir', fixture.keyDir]);
    expect(((keys.json as Record<string, unknown>)['keys'] as unknown[]).length).toBe(2);
    const previous = rotated.json['previousKeyId'] as string;
    expect(
      (
        await cli([
          'keys',
          'retire',
          '--domain',
          'corp',
          '--key-id',
          rotated.json['keyId'] as string,
          '--key-dir',
          fixture.keyDir,
        ])
      ).code,
    ).toBe(2);
    expect(
      (await cli(['keys', 'retire', '--domain', 'corp', '--key-id', previous, '--key-dir', fixture.keyDir])).code,
    ).toBe(0);
    expect(await reset(corp, 'olga', `Rotate-after-${stamp}-Aa1!`)).toMatchObject({ status: 'applied' });
  });

  it('answers bad usage with 2, refusals with 1 and unreachable services with 3, with a reason', async () => {
    const badId = await cli(['domains', 'add', 'Bad_Id', '--key-dir', fixture.keyDir]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('lowercase');
    expect((await cli(['keys', 'publish', '--domain', 'corp'])).code).toBe(2);
    const missing = await cli(['domains', 'show', 'nowhere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
    const anonymous = await cli(['disable', '--domain', 'corp'], { WRITEBACK_TOKEN: '' });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('WRITEBACK_TOKEN');
    const down = await cli(['domains', 'list'], { WRITEBACK_CONFIG_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unreachable');
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });

  it('answers bad usage with a JSON error on stdout when --json is given', async () => {
    expect(await cli(['--json', 'frobnicate'])).toMatchObject({
      code: 2,
      json: { error: "unknown command 'frobnicate'", exitCode: 2 },
    });
    expect(await cli(['scope', 'set', '--json', '--ou', 'OU=Staff'])).toMatchObject({
      code: 2,
      json: { error: "required option '-d, --domain <id>' not specified", exitCode: 2 },
    });
    const timeout = await cli(['--json', 'validate', '--domain', 'corp', '--user', 'x@y', '--timeout-seconds', 'soon']);
    expect(timeout).toMatchObject({ code: 2, json: { exitCode: 2 } });
    expect(timeout.json['error']).toContain('give a number of seconds above 0');
    const refused = await cli(['--json', 'domains', 'remove', 'fabrikam']);
    expect(refused).toMatchObject({ code: 2, json: { exitCode: 2 } });
    expect(refused.json['error']).toContain('confirm with --yes');
    const plain = await cli(['frobnicate']);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain("unknown command 'frobnicate'");
  });

  it('removes a domain, with the removal in its history', async () => {
    const removed = await cli(['--json', 'domains', 'remove', 'fabrikam', '--yes']);
    expect(removed).toMatchObject({ code: 0, json: { removed: 'fabrikam' } });
    expect((await cli(['domains', 'show', 'fabrikam'])).code).toBe(1);
    const list = await cli(['--json', 'domains', 'list']);
    expect(list.json.map((d) => d['id'])).toEqual(['corp']);
    const changes = await fixture.domainChanges('fabrikam', 3);
    expect(changes[2]).toMatchObject({ data: { action: 'removed', changedBy: { subject: 'ops-alice' }, after: null } });
    const again = await cli(['domains', 'remove', 'fabrikam', '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('404 domain fabrikam is not configured');
  });
});
