import { protectedAccount, protectionOf, type AccountPrivileges } from './protected-accounts';

const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';
const ROOT = 'S-1-5-21-3623811015-3361044348-30300820';
const DOMAIN_USERS = `${DOMAIN}-513`;

const user = (groupSids: string[], changes: Partial<AccountPrivileges> = {}): AccountPrivileges => ({
  sid: `${DOMAIN}-1105`,
  groupSids: [DOMAIN_USERS, ...groupSids],
  adminCount: false,
  ...changes,
});

describe('protectionOf', () => {
  it('given an ordinary user, when decided, then it is not protected', () => {
    expect(protectionOf(user([`${DOMAIN}-1210`, 'S-1-5-32-545']))).toEqual({ protected: false });
  });

  it.each([
    ['Domain Admins', `${DOMAIN}-512`],
    ['Domain Controllers', `${DOMAIN}-516`],
    ['Schema Admins', `${ROOT}-518`],
    ['Enterprise Admins', `${ROOT}-519`],
    ['Read-only Domain Controllers', `${DOMAIN}-521`],
    ['Key Admins', `${DOMAIN}-526`],
    ['Enterprise Key Admins', `${ROOT}-527`],
    ['Administrators', 'S-1-5-32-544'],
    ['Account Operators', 'S-1-5-32-548'],
    ['Server Operators', 'S-1-5-32-549'],
    ['Print Operators', 'S-1-5-32-550'],
    ['Backup Operators', 'S-1-5-32-551'],
    ['Replicator', 'S-1-5-32-552'],
  ])(
    'given a member of %s (by SID, whatever its name), when decided, then it is protected, naming the group',
    (name, sid) => {
      const protection = protectionOf(user([sid]));
      expect(protection.protected && protection.because).toContain(`member of ${name} (${sid})`);
    },
  );

  it.each([
    ['the built-in Administrator account', `${DOMAIN}-500`],
    ['the krbtgt account', `${DOMAIN}-502`],
  ])('given %s, when decided, then it is protected', (name, sid) => {
    expect(protectionOf(user([], { sid }))).toEqual({ protected: true, because: `it is ${name}` });
  });

  it("given a member of one of the domain's own protected groups, when decided, then it is protected, naming the group", () => {
    const payroll = { sid: `${DOMAIN}-1300`, name: 'CN=Payroll Admins,OU=Groups,DC=corp,DC=example,DC=test' };
    const protection = protectionOf(user([payroll.sid.toLowerCase()]), [payroll]);
    expect(protection.protected && protection.because).toContain(`member of ${payroll.name}`);
    expect(protectionOf(user([]), [payroll])).toEqual({ protected: false });
  });

  it('given an account SDProp marked (adminCount = 1) and in no protected group, when decided, then it is protected', () => {
    expect(protectionOf(user([], { adminCount: true }))).toEqual({
      protected: true,
      because: 'AdminSDHolder protects it (adminCount = 1)',
    });
  });

  it('given a RID of a protected group under a SID that is no domain principal, when decided, then it is not protected', () => {
    expect(protectionOf(user(['S-1-5-32-512', 'S-1-5-21-1-2-512']))).toEqual({ protected: false });
  });
});

describe('protectedAccount', () => {
  it('keeps the stable code and names the reason', () => {
    const reason = protectedAccount({
      protected: true,
      because: 'it is a member of Domain Admins (S-1-5-21-1-2-3-512)',
    });
    expect(reason.code).toBe('AD.PROTECTED_ACCOUNT');
    expect(reason.message).toContain('Domain Admins');
  });
});
