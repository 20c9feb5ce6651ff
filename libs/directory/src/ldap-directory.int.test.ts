import { randomUUID } from 'node:crypto';
import {
  canBind,
  createPlainAccount,
  readUserAttributes,
  testEnvironment,
  withLdapsBind,
  type ForestInfo,
} from '@writeback/testing';
import { Attribute, Change, type Client } from 'ldapts';
import { DirectoryError } from './directory-error';
import { LdapDirectory } from './ldap-directory';
import { guidToBytes } from './object-guid';
import type { WritebackScope } from './scope-filter';
import { DaclOnlyControl } from './sd-flags.control';
import { AceFlags, encodeSecurityDescriptor, parseSecurityDescriptor, SdControl } from './security-descriptor';

const anyone: WritebackScope = { organizationalUnits: [], groups: [], ldapFilter: null };

/**
 * Lookups (ADR 0023) against both forests: found by UPN and by objectGUID with the GUID AD shows,
 * and every user a write would refuse shown as absent; and a write naming the wrong GUID refused.
 */
describe.each(['corp', 'fabrikam'] as const)('LdapDirectory lookups and GUID check (%s)', (name) => {
  const forest: ForestInfo = testEnvironment().forests[name];
  const stamp = Date.now().toString(36);
  // Under CN=Users: outside the seeded OU, so out of a scope limited to it.
  const seededOu = `OU=${name === 'corp' ? 'Staff' : 'People'},${forest.baseDn}`;
  const created: string[] = [];
  const upnOf = (sam: string): string => `${sam}@${forest.domainDnsName}`;
  let sut: LdapDirectory;

  const asAdmin = <T>(work: (client: Client) => Promise<T>): Promise<T> =>
    withLdapsBind(forest, forest.admin.dn, forest.admin.password, work);
  const replace = (type: string, value: string): Change =>
    new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
  const createUser = async (sam: string, password = `Before-${sam}-Aa1!`): Promise<string> => {
    const dn = await createPlainAccount(forest, sam, password);
    created.push(dn);
    return dn;
  };

  const alice = { sam: `lk-${stamp}`, password: `Before-lk-${stamp}-Aa1!` };
  const disabled = `lkoff-${stamp}`;
  const privileged = `lkadm-${stamp}`;
  // Its DACL keeps only its own ACEs, as after "disable inheritance" in ADUC: the service account
  // still finds it, but can no longer read its tokenGroups (granted at the domain's root).
  const hidden = `lkhid-${stamp}`;

  beforeAll(async () => {
    sut = new LdapDirectory({
      domainId: name,
      urls: [forest.ldapsUrl],
      baseDn: forest.baseDn,
      bindDn: forest.serviceAccount.upn,
      bindPassword: forest.serviceAccount.password,
      tlsCaPem: forest.caPem,
      timeoutMs: 10_000,
    });
    const aliceDn = await createUser(alice.sam, alice.password);
    const disabledDn = await createUser(disabled);
    const privilegedDn = await createUser(privileged);
    const hiddenDn = await createUser(hidden);
    await asAdmin(async (client) => {
      await client.modify(aliceDn, [
        replace('givenName', 'Alice'),
        replace('sn', `Lookup ${name}`),
        replace('displayName', `Alice Lookup (${name})`),
        replace('mail', `alice.${stamp}@${forest.domainDnsName}`),
      ]);
      await client.modify(disabledDn, [replace('userAccountControl', '514')]);
      await client.modify(`CN=Domain Admins,CN=Users,${forest.baseDn}`, [
        new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [privilegedDn] }) }),
      ]);
      const { searchEntries } = await client.search(
        hiddenDn,
        { scope: 'base', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] },
        new DaclOnlyControl(),
      );
      const sd = parseSecurityDescriptor(searchEntries[0]?.['nTSecurityDescriptor'] as Buffer);
      const ownAces = (sd.dacl ?? []).filter((ace) => (ace.flags & AceFlags.INHERITED) === 0);
      const own = encodeSecurityDescriptor({ ...sd, control: sd.control | SdControl.DACL_PROTECTED, dacl: ownAces });
      await client.modify(
        hiddenDn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'nTSecurityDescriptor', values: [own] }),
        }),
        new DaclOnlyControl(),
      );
    });
  });

  afterAll(async () => {
    await sut?.close();
    await asAdmin(async (client) => {
      for (const dn of created.reverse()) await client.del(dn).catch(() => undefined);
    });
  });

  /** The entry's objectGUID as stored, read as the domain administrator (not through the code under test). */
  const storedGuid = (sam: string): Promise<Buffer> =>
    asAdmin(async (client) => {
      const { searchEntries } = await client.search(forest.baseDn, {
        scope: 'sub',
        filter: `(sAMAccountName=${sam})`,
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID'],
      });
      return searchEntries[0]?.['objectGUID'] as Buffer;
    });

  it('finds a user by UPN with its attributes, and the GUID string AD itself resolves', async () => {
    const result = await sut.lookupUser({ userPrincipalName: upnOf(alice.sam) }, anyone);
    expect(result).toEqual({
      outcome: 'found',
      user: {
        objectGuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) as unknown,
        userPrincipalName: upnOf(alice.sam),
        givenName: 'Alice',
        familyName: `Lookup ${name}`,
        displayName: `Alice Lookup (${name})`,
        mail: `alice.${stamp}@${forest.domainDnsName}`,
        enabled: true,
      },
    });
    const guid = result.outcome === 'found' ? result.user.objectGuid : '';
    expect(guidToBytes(guid)).toEqual(await storedGuid(alice.sam));
    // AD's own reading of the string form: the <GUID=…> DN names the same entry.
    const named = await asAdmin((client) =>
      client.search(`<GUID=${guid}>`, { scope: 'base', attributes: ['sAMAccountName'] }),
    );
    expect(named.searchEntries[0]?.['sAMAccountName']).toBe(alice.sam);
  });

  it('finds the same user by objectGUID, and shows a disabled one as not enabled', async () => {
    const byUpn = await sut.lookupUser({ userPrincipalName: upnOf(alice.sam) }, anyone);
    const guid = byUpn.outcome === 'found' ? byUpn.user.objectGuid : '';
    expect(await sut.lookupUser({ objectGuid: guid }, anyone)).toEqual(byUpn);
    expect(await sut.lookupUser({ userPrincipalName: upnOf(disabled) }, anyone)).toMatchObject({
      outcome: 'found',
      user: { userPrincipalName: upnOf(disabled), givenName: null, mail: null, enabled: false },
    });
  });

  it('shows a user outside the scope as absent (out-of-scope), by UPN and by GUID', async () => {
    const scope: WritebackScope = { ...anyone, organizationalUnits: [seededOu] };
    const guid = (await readGuidString(alice.sam)) ?? '';
    expect(await sut.lookupUser({ userPrincipalName: upnOf(alice.sam) }, scope)).toEqual({
      outcome: 'absent',
      why: 'out-of-scope',
    });
    expect(await sut.lookupUser({ objectGuid: guid }, scope)).toEqual({ outcome: 'absent', why: 'out-of-scope' });
  });

  it('refuses a user out of scope as such even when its groups are unreadable, and one in scope as an error', async () => {
    const outOfScope: WritebackScope = { ...anyone, organizationalUnits: [seededOu] };
    expect(await sut.lookupUser({ userPrincipalName: upnOf(hidden) }, outOfScope)).toEqual({
      outcome: 'absent',
      why: 'out-of-scope',
    });
    const write = (scope: WritebackScope): Promise<unknown> =>
      sut
        .applyWriteback({
          userPrincipalName: upnOf(hidden),
          newPassword: `Hidden-${stamp}-Aa1!`,
          unlock: false,
          forceChangeAtNextLogon: false,
          scope,
        })
        .catch((error: unknown) => error);
    expect(await write(outOfScope)).toMatchObject({ retriable: false, reason: { code: 'SCOPE.USER_OUT_OF_SCOPE' } });
    // In scope, unknown groups are not "unprivileged": neither shown nor written.
    const lookedUp = await sut
      .lookupUser({ userPrincipalName: upnOf(hidden) }, anyone)
      .catch((error: unknown) => error);
    expect(lookedUp).toBeInstanceOf(DirectoryError);
    expect(lookedUp).toMatchObject({ reason: { code: 'AD.UNEXPECTED' } });
    expect(await write(anyone)).toMatchObject({ retriable: false, reason: { code: 'AD.UNEXPECTED' } });
    expect(await canBind(forest, upnOf(hidden), `Before-${hidden}-Aa1!`)).toBe(true);
  });

  it('shows a privileged user as absent (protected), even with no scope limit', async () => {
    expect(await sut.lookupUser({ userPrincipalName: upnOf(privileged) }, anyone)).toEqual({
      outcome: 'absent',
      why: 'protected',
    });
  });

  it('shows an unknown UPN or GUID as absent (not-found)', async () => {
    expect(await sut.lookupUser({ userPrincipalName: upnOf(`nobody-${stamp}`) }, anyone)).toEqual({
      outcome: 'absent',
      why: 'not-found',
    });
    expect(await sut.lookupUser({ objectGuid: randomUUID() }, anyone)).toEqual({
      outcome: 'absent',
      why: 'not-found',
    });
  });

  it('refuses a write whose objectGuid is not the entry found by the UPN (AD.USER_CHANGED), writing nothing', async () => {
    const before = await readUserAttributes(forest, alice.sam, ['pwdLastSet']);
    const failure = await sut
      .applyWriteback({
        userPrincipalName: upnOf(alice.sam),
        newPassword: `Changed-${stamp}-Aa1!`,
        unlock: false,
        forceChangeAtNextLogon: false,
        scope: anyone,
        objectGuid: randomUUID(),
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DirectoryError);
    expect(failure).toMatchObject({ retriable: false, reason: { code: 'AD.USER_CHANGED' } });
    expect(await readUserAttributes(forest, alice.sam, ['pwdLastSet'])).toEqual(before);
    expect(await canBind(forest, upnOf(alice.sam), alice.password)).toBe(true);
  });

  it('writes when the objectGuid is the entry found by the UPN', async () => {
    const password = `Matching-${stamp}-Aa1!`;
    const result = await sut.applyWriteback({
      userPrincipalName: upnOf(alice.sam),
      newPassword: password,
      unlock: false,
      forceChangeAtNextLogon: false,
      scope: anyone,
      objectGuid: (await readGuidString(alice.sam)) ?? '',
    });
    expect(result.actions).toEqual(['password']);
    expect(await canBind(forest, upnOf(alice.sam), password)).toBe(true);
  });

  async function readGuidString(sam: string): Promise<string | undefined> {
    const result = await sut.lookupUser({ userPrincipalName: upnOf(sam) }, anyone);
    return result.outcome === 'found' ? result.user.objectGuid : undefined;
  }
});
