import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  decodeLookupReply,
  envelope,
  executorTopic,
  Topics,
  type LookupCommandEnvelope,
  type LookupReplyEnvelope,
} from '@writeback/contracts';
import { commandMessage, KafkaBus, type Subscription } from '@writeback/messaging';
import {
  canBind,
  createPlainAccount,
  forestUser,
  parsePrometheusText,
  readUserAttributes,
  sampleValue,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  withLdapsBind,
  type WritebackFixture,
} from '@writeback/testing';
import { Attribute, Change, type Client } from 'ldapts';
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

  describe('refuses privileged accounts from their group membership, before any write', () => {
    const { corp } = forests;
    const created: string[] = [];
    const groupDn = (cn: string): string => `CN=${cn},CN=Users,${corp.baseDn}`;
    const addMember = (group: string, member: string): Promise<void> =>
      withLdapsBind(corp, corp.admin.dn, corp.admin.password, (client) =>
        client.modify(group, [
          new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [member] }) }),
        ]),
      );
    const createGroup = async (cn: string): Promise<string> => {
      const dn = groupDn(cn);
      await withLdapsBind(corp, corp.admin.dn, corp.admin.password, (client) =>
        client.add(dn, { objectClass: ['top', 'group'], sAMAccountName: cn }),
      );
      created.push(dn);
      return dn;
    };
    const createUser = async (sam: string): Promise<{ dn: string; upn: string; password: string }> => {
      const password = `Before-${sam}-Aa1!`;
      const dn = await createPlainAccount(corp, sam, password);
      created.push(dn);
      return { dn, upn: `${sam}@${corp.domainDnsName}`, password };
    };

    /**
     * Asks for a reset of the user; answers the refusal's reason, and whether the user's password
     * and attributes are as they were.
     */
    async function resetOfPrivileged(
      user: { upn: string; password: string },
      sam: string,
    ): Promise<{ status: unknown; reason: { code: string; message: string }; untouched: boolean }> {
      const before = await readUserAttributes(corp, sam, ['pwdLastSet', 'lockoutTime']);
      const view = await outcomeOf(adminReset(user.upn, `Privileged-${stamp}-Aa1!`));
      const after = await readUserAttributes(corp, sam, ['pwdLastSet', 'lockoutTime']);
      return {
        status: view['status'],
        reason: view['reason'] as { code: string; message: string },
        untouched: JSON.stringify(after) === JSON.stringify(before) && (await canBind(corp, user.upn, user.password)),
      };
    }
    const refusedNaming = (group: string): Record<string, unknown> => ({
      status: 'rejected',
      reason: { code: 'AD.PROTECTED_ACCOUNT', message: expect.stringContaining(group) as unknown },
      untouched: true,
    });

    afterAll(async () => {
      await withLdapsBind(corp, corp.admin.dn, corp.admin.password, async (client) => {
        for (const dn of created.reverse()) await client.del(dn).catch(() => undefined);
      });
    });

    it('a direct member of Domain Admins, before SDProp marks it (no adminCount)', async () => {
      const sam = `adm-direct-${stamp}`;
      const user = await createUser(sam);
      await addMember(groupDn('Domain Admins'), user.dn);
      // Samba runs no SDProp: only the membership can tell.
      expect((await readUserAttributes(corp, sam, ['adminCount']))['adminCount']).toEqual([]);
      expect(await resetOfPrivileged(user, sam)).toMatchObject(refusedNaming('Domain Admins'));
    });

    it('a member of Domain Admins through a nested group', async () => {
      const sam = `adm-nested-${stamp}`;
      const user = await createUser(sam);
      const tier0 = await createGroup(`tier0-${stamp}`);
      await addMember(tier0, user.dn);
      await addMember(groupDn('Domain Admins'), tier0);
      expect(await resetOfPrivileged(user, sam)).toMatchObject(refusedNaming('Domain Admins'));
    });

    it('a member of a protected group other than Domain Admins (Backup Operators)', async () => {
      const sam = `adm-backup-${stamp}`;
      const user = await createUser(sam);
      await addMember(`CN=Backup Operators,CN=Builtin,${corp.baseDn}`, user.dn);
      expect(await resetOfPrivileged(user, sam)).toMatchObject(refusedNaming('Backup Operators'));
    });

    it("a nested member of one of the domain's own protected groups, configured and audited", async () => {
      const sam = `adm-custom-${stamp}`;
      const user = await createUser(sam);
      const payroll = await createGroup(`payroll-admins-${stamp}`);
      const team = await createGroup(`payroll-team-${stamp}`);
      await addMember(team, user.dn);
      await addMember(payroll, team);
      const ordinary = await outcomeOf(adminReset(user.upn, `Ordinary-${stamp}-Aa1!`));
      expect(ordinary).toMatchObject({ status: 'applied' });
      user.password = `Ordinary-${stamp}-Aa1!`;
      await fixture.updateDomain('corp', { scope: { protectedGroups: [payroll] } });
      try {
        expect(await resetOfPrivileged(user, sam)).toMatchObject(refusedNaming(payroll));
        const changes = await waitFor(
          async () => {
            const all = await fixture.domainChanges('corp', 1);
            return all.find((c) => JSON.stringify(c).includes(payroll));
          },
          { timeoutMs: 30_000, description: 'the audited change of scope.protectedGroups' },
        );
        expect(changes['data']).toMatchObject({
          changedFields: ['scope'],
          after: { scope: { protectedGroups: [payroll] } },
        });
      } finally {
        await fixture.updateDomain('corp', { scope: { protectedGroups: [] } });
      }
    });
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

  /**
   * SCIM lookups (ADR 0023) as the gate will send them: a LookupDirectoryUser on the domain's
   * executor topic, answered with DirectoryUserLookedUp on writeback.lookups.v1.
   */
  describe('answers LookupDirectoryUser on writeback.lookups.v1', () => {
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const replies = new Map<string, LookupReplyEnvelope>();
    let bus: KafkaBus;
    let subscription: Subscription;

    beforeAll(async () => {
      bus = new KafkaBus({
        clientId: 'lookups-test',
        brokers: fixture.kafka?.bootstrapServers ?? [],
        idempotent: false,
        logger: quiet,
      });
      subscription = await bus.subscribe({
        groupId: `lookups-test-${stamp}`,
        topics: [Topics.lookups],
        handler: (message) => {
          replies.set(message.key, decodeLookupReply(message.value));
          return Promise.resolve();
        },
      });
    });

    afterAll(async () => {
      await subscription?.stop();
      await bus?.close();
    });

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const lookup = (domainId: string, by: LookupCommandEnvelope['data']['by'], expiresInMs = 30_000) =>
      envelope(
        {
          type: 'LookupDirectoryUser',
          version: 1,
          data: { lookupId: randomUUID(), domainId, by, expiresAt: new Date(Date.now() + expiresInMs).toISOString() },
        },
        { correlationId: randomUUID(), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      ) as LookupCommandEnvelope;
    const replyTo = (command: LookupCommandEnvelope): Promise<LookupReplyEnvelope> =>
      waitFor(() => replies.get(command.data.lookupId), {
        timeoutMs: 30_000,
        description: `the reply to lookup ${command.data.lookupId}`,
      });
    /** AD's own reading of a GUID string: the entry the `<GUID=…>` DN names. */
    const samOfGuid = (forest: typeof forests.corp, guid: string): Promise<unknown> =>
      withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client: Client) => {
        const { searchEntries } = await client.search(`<GUID=${guid}>`, {
          scope: 'base',
          attributes: ['sAMAccountName'],
        });
        return searchEntries[0]?.['sAMAccountName'];
      });

    it.each([
      ['corp', 'uma'],
      ['fabrikam', 'pete'],
    ] as const)('finds a user of %s by UPN, then by its GUID, in one trace with the asker', async (name, sam) => {
      const forest = forests[name];
      const user = forestUser(forest, sam);
      const byUpn = lookup(name, { userPrincipalName: user.upn });
      await bus.publish([commandMessage(byUpn)]);
      const reply = await replyTo(byUpn);
      expect(reply).toMatchObject({
        type: 'DirectoryUserLookedUp',
        version: 1,
        correlationId: byUpn.data.lookupId,
        causationId: byUpn.eventId,
        data: {
          lookupId: byUpn.data.lookupId,
          domainId: name,
          result: { outcome: 'found', user: { userPrincipalName: user.upn, enabled: true } },
        },
      });
      expect(reply.traceparent?.split('-')[1]).toBe(traceId);
      const guid = reply.data.result.outcome === 'found' ? reply.data.result.user.objectGuid : '';
      expect(await samOfGuid(forest, guid)).toBe(sam);

      const byGuid = lookup(name, { objectGuid: guid });
      await bus.publish([commandMessage(byGuid)]);
      expect((await replyTo(byGuid)).data.result).toEqual(reply.data.result);
    });

    it('writes for the GUID a lookup found, and refuses another GUID with AD.USER_CHANGED, writing nothing', async () => {
      const found = lookup('corp', { userPrincipalName: heidi.upn });
      await bus.publish([commandMessage(found)]);
      const { result } = (await replyTo(found)).data;
      const guid = result.outcome === 'found' ? result.user.objectGuid : '';
      const resetFor = (objectGuid: string, password: string): Record<string, unknown> => ({
        ...adminReset(heidi.upn, password),
        target: { userPrincipalName: heidi.upn, isAdministrator: false, objectGuid },
      });
      const before = await readUserAttributes(forests.corp, 'heidi', ['pwdLastSet']);
      const moved = await outcomeOf(resetFor(randomUUID(), `Moved-${stamp}-Aa1!`));
      expect(moved).toMatchObject({ status: 'rejected', reason: { code: 'AD.USER_CHANGED' } });
      expect(await readUserAttributes(forests.corp, 'heidi', ['pwdLastSet'])).toEqual(before);
      expect(await canBind(forests.corp, heidi.upn, heidiPassword)).toBe(true);

      const password = `Same-${stamp}-Aa1!`;
      expect(await outcomeOf(resetFor(guid, password))).toMatchObject({ status: 'applied' });
      expect(await canBind(forests.corp, heidi.upn, password)).toBe(true);
      heidiPassword = password;
    });

    it('answers failed, with the reason and retriable, when no DC answers, rather than being redelivered', async () => {
      const { corp } = forests;
      // A lookup carries no configuration version: the executor follows a change within moments.
      const answered = (outcome: string): Promise<LookupReplyEnvelope['data']['result']> =>
        waitFor(
          async () => {
            const command = lookup('corp', { userPrincipalName: forestUser(corp, 'uma').upn });
            await bus.publish([commandMessage(command)]);
            const { result } = (await replyTo(command)).data;
            return result.outcome === outcome ? result : undefined;
          },
          { timeoutMs: 30_000, description: `a lookup answered ${outcome}` },
        );
      await fixture.updateDomain('corp', { ldapUrls: ['ldaps://127.0.0.99:636'] });
      try {
        expect(await answered('failed')).toMatchObject({ reason: { code: 'AD.DC_UNAVAILABLE' }, retriable: true });
      } finally {
        await fixture.updateDomain('corp', { ldapUrls: [corp.ldapsUrl] });
        await answered('found');
      }
    });

    /** The corp executor's count of lookups by result, from its /metrics. */
    const lookupsCounted = async (result: string): Promise<number> => {
      const response = await fetch(new URL('/metrics', fixture.system.processes.get('executor-corp')?.url ?? ''));
      const samples = parsePrometheusText(await response.text());
      return sampleValue(samples, 'writeback_scim_lookups_total', { domain: 'corp', result }) ?? 0;
    };

    it('answers an unknown user as absent, and drops an expired lookup unanswered', async () => {
      const expiredBefore = await lookupsCounted('expired');
      const expired = lookup('corp', { userPrincipalName: forestUser(forests.corp, 'uma').upn }, -1000);
      const unknown = lookup('corp', { userPrincipalName: `nobody-${stamp}@${forests.corp.domainDnsName}` });
      // One key, so one partition: the expired lookup is handled before the next one is answered.
      const key = expired.data.lookupId;
      await bus.publish([
        { ...commandMessage(expired), key },
        { ...commandMessage(unknown), key },
      ]);
      expect((await replyTo(unknown)).data.result).toEqual({ outcome: 'absent', why: 'not-found' });
      expect(await lookupsCounted('expired')).toBe(expiredBefore + 1);
      expect(replies.has(expired.data.lookupId)).toBe(false);
    });
  });
});
