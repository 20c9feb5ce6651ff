import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { executorTopic } from '@writeback/contracts';
import {
  canBind,
  forestUser,
  readUserAttributes,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  withLdapsBind,
  type WritebackFixture,
} from '@writeback/testing';
import { Attribute, Change } from 'ldapts';
import { adminReset, kafkaRecords } from './scenarios';

const run = promisify(execFile);

/**
 * The executor against the real forests: each write verified on the DC, each AD refusal
 * provoked for real and ending in its documented event and code with nothing else changed,
 * DC failover, and a duplicated command applied once.
 */
describe('writeback executor (distributed, two forests)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;
  const heidi = forestUser(forests.corp, 'heidi');
  let heidiPassword = heidi.password;

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'distributed', forests: [forests.corp, forests.fabrikam] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function outcomeOf(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { status, body } = await fixture.request(request);
    expect(status).toBe(202);
    return (await fixture.outcome(body['operationId'] as string)) as unknown as Record<string, unknown>;
  }

  it('forces a change at next logon when asked, after the password write', async () => {
    const password = `Force-${stamp}-Aa1!`;
    const view = await outcomeOf({ ...adminReset(heidi.upn, password), options: { forceChangeAtNextLogon: true } });
    expect(view).toMatchObject({ status: 'applied' });
    expect((await readUserAttributes(forests.corp, 'heidi', ['pwdLastSet']))['pwdLastSet']).toBe('0');
    const audit = await fixture.auditHistory(view['operationId'] as string, 3);
    expect(audit[2]?.['data']).toMatchObject({
      actions: ['password', 'force-change-at-next-logon'],
      policyHintsUsed: false,
    });
    // A plain reset afterwards sets pwdLastSet again, and the user can sign in.
    heidiPassword = `After-${stamp}-Aa1!`;
    expect(await outcomeOf(adminReset(heidi.upn, heidiPassword))).toMatchObject({ status: 'applied' });
    expect(await canBind(forests.corp, heidi.upn, heidiPassword)).toBe(true);
  });

  it('leaves pwdLastSet alone for an account whose password never expires', async () => {
    const { fabrikam } = forests;
    const dave = forestUser(fabrikam, 'dave');
    const uac = Number((await readUserAttributes(fabrikam, 'dave', ['userAccountControl']))['userAccountControl']);
    await withLdapsBind(fabrikam, fabrikam.admin.dn, fabrikam.admin.password, (client) =>
      client.modify(dave.dn, [
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userAccountControl', values: [String(uac | 0x10000)] }),
        }),
      ]),
    );
    const password = `NeverExpires-${stamp}-Aa1!`;
    const view = await outcomeOf({ ...adminReset(dave.upn, password), options: { forceChangeAtNextLogon: true } });
    expect(view).toMatchObject({ status: 'applied' });
    const audit = await fixture.auditHistory(view['operationId'] as string, 3);
    expect(audit[2]?.['data']).toMatchObject({ actions: ['password'] });
    expect((await readUserAttributes(fabrikam, 'dave', ['pwdLastSet']))['pwdLastSet']).not.toBe('0');
    expect(await canBind(fabrikam, dave.upn, password)).toBe(true);
  });

  it('unlocks together with a reset when asked', async () => {
    const password = `Unlocked-${stamp}-Aa1!`;
    const view = await outcomeOf({ ...adminReset(heidi.upn, password), options: { unlockAccount: true } });
    expect(view).toMatchObject({ status: 'applied' });
    const audit = await fixture.auditHistory(view['operationId'] as string, 3);
    expect(audit[2]?.['data']).toMatchObject({ actions: ['password', 'unlock'] });
    expect((await readUserAttributes(forests.corp, 'heidi', ['lockoutTime']))['lockoutTime'] ?? '0').toBe('0');
    heidiPassword = password;
  });

  it('rejects a user the directory does not hold', async () => {
    const view = await outcomeOf(adminReset(`nobody-${stamp}@corp.example.test`, `Ghost-${stamp}-Aa1!`));
    expect(view).toMatchObject({ status: 'rejected', reason: { code: 'AD.USER_NOT_FOUND' } });
  });

  it('fails as a TLS failure when the DC certificate is not trusted', async () => {
    await fixture.updateDomain('corp', { tlsCaPem: forests.fabrikam.caPem });
    try {
      const view = await outcomeOf(adminReset(heidi.upn, `Untrusted-${stamp}-Aa1!`));
      expect(view).toMatchObject({ status: 'failed', reason: { code: 'AD.TLS_FAILURE' } });
      expect(await canBind(forests.corp, heidi.upn, heidiPassword)).toBe(true);
    } finally {
      await fixture.updateDomain('corp', { tlsCaPem: forests.corp.caPem });
    }
  });

  it('rejects a password the domain policy refuses, and changes nothing', async () => {
    const view = await outcomeOf(adminReset(heidi.upn, 'Ab1!'));
    expect(view).toMatchObject({ status: 'rejected', reason: { code: 'AD.PASSWORD_POLICY' } });
    expect(JSON.stringify(view)).not.toMatch(/0000052D|check_password_restrictions/);
    expect(await canBind(forests.corp, heidi.upn, heidiPassword)).toBe(true);
  });

  it('refuses an account protected by AdminSDHolder before any write', async () => {
    const ivan = forestUser(forests.fabrikam, 'ivan');
    const { fabrikam } = forests;
    await withLdapsBind(fabrikam, fabrikam.admin.dn, fabrikam.admin.password, (client) =>
      client.modify(ivan.dn, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'adminCount', values: ['1'] }) }),
      ]),
    );
    const view = await outcomeOf(adminReset(ivan.upn, `Protected-${stamp}-Aa1!`));
    expect(view).toMatchObject({ status: 'rejected', reason: { code: 'AD.PROTECTED_ACCOUNT' } });
    expect(await canBind(fabrikam, ivan.upn, ivan.password)).toBe(true);
  });

  it('fails with the missing delegated right named when the service account lacks it', async () => {
    const { fabrikam } = forests;
    const mallory = forestUser(fabrikam, 'mallory');
    const plain = forestUser(fabrikam, 'oscar');
    const secretFile = join(fixture.workDir, 'oscar.secret');
    await writeFile(secretFile, plain.password, { mode: 0o600 });
    await fixture.updateDomain('fabrikam', { bindDn: plain.upn, bindSecretRef: `file:${secretFile}` });
    try {
      const view = await outcomeOf(adminReset(mallory.upn, `NoRight-${stamp}-Aa1!`));
      expect(view).toMatchObject({ status: 'failed', reason: { code: 'AD.INSUFFICIENT_ACCESS' } });
      expect((view['reason'] as { message: string }).message).toContain('Reset Password');
      const audit = await fixture.auditHistory(view['operationId'] as string, 3);
      expect(audit[2]).toMatchObject({ type: 'WritebackFailed', data: { attempts: 5 } });
      expect(await canBind(fabrikam, mallory.upn, mallory.password)).toBe(true);
    } finally {
      await fixture.updateDomain('fabrikam', {
        bindDn: fabrikam.serviceAccount.upn,
        bindSecretRef: 'env:WRITEBACK_TEST_BIND_FABRIKAM',
      });
    }
  });

  it('fails as DC unavailable when no DC answers, and fails over to the next URL when one does', async () => {
    const { corp } = forests;
    const dead = 'ldaps://127.0.0.99:636';
    await fixture.updateDomain('corp', { ldapUrls: [dead] });
    try {
      const down = await outcomeOf(adminReset(heidi.upn, `Down-${stamp}-Aa1!`));
      expect(down).toMatchObject({ status: 'failed', reason: { code: 'AD.DC_UNAVAILABLE' } });
      expect(await canBind(corp, heidi.upn, heidiPassword)).toBe(true);

      await fixture.updateDomain('corp', { ldapUrls: [dead, corp.ldapsUrl] });
      const password = `Failover-${stamp}-Aa1!`;
      expect(await outcomeOf(adminReset(heidi.upn, password))).toMatchObject({ status: 'applied', reason: null });
      expect(await canBind(corp, heidi.upn, password)).toBe(true);
      heidiPassword = password;
    } finally {
      await fixture.updateDomain('corp', { ldapUrls: [corp.ldapsUrl] });
    }
  });

  it('applies the same approval delivered twice only once, and answers it with the same outcome', async () => {
    const password = `Once-${stamp}-Aa1!`;
    const view = await outcomeOf(adminReset(heidi.upn, password));
    const operationId = view['operationId'] as string;
    expect(view).toMatchObject({ status: 'applied' });
    heidiPassword = password;
    const before = await readUserAttributes(forests.corp, 'heidi', ['pwdLastSet']);

    // Deliver the recorded command again, as a producer retry or a rebalance would.
    const topic = executorTopic('corp');
    const kafka = fixture.kafka!;
    const records = await kafkaRecords(kafka, [topic]);
    const line = records.split('\n').find((l) => l.includes(operationId));
    if (!line) throw new Error(`no command for ${operationId} on ${topic}`);
    const [, key, , ...value] = line.split(' ');
    await run('sh', ['-c', `printf '%s\\t%s\\n' "$KEY" "$VALUE" | kcat -b "$BROKERS" -P -t "$TOPIC" -K '\\t'`], {
      env: {
        ...process.env,
        KEY: key ?? '',
        VALUE: value.join(' '),
        BROKERS: kafka.bootstrapServers.join(','),
        TOPIC: topic,
      },
    });
    await waitFor(async () => (await fixture.logs(/executor-corp/)).includes('command seen before'), {
      timeoutMs: 30_000,
      description: 'the executor to see the duplicated command',
    });
    const audit = await fixture.auditHistory(operationId, 3);
    expect(audit.filter((e) => e['type'] === 'WritebackApplied')).toHaveLength(1);
    expect(await readUserAttributes(forests.corp, 'heidi', ['pwdLastSet'])).toEqual(before);
    expect(await canBind(forests.corp, heidi.upn, password)).toBe(true);
  });
});
