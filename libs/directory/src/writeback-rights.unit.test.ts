import { AccessMask, type Ace, AceFlags, AceType } from './security-descriptor';
import {
  evaluateRootRights,
  evaluateUserRights,
  grantAce,
  missingGrants,
  USER_CLASS_GUID,
  withAces,
  WRITEBACK_RIGHTS,
} from './writeback-rights';

const SVC = 'S-1-5-21-1-2-3-1104';
const GROUP = 'S-1-5-21-1-2-3-2001';
const OTHER = 'S-1-5-21-1-2-3-9999';
const allGrants = (sid: string): Ace[] => WRITEBACK_RIGHTS.map((r) => grantAce(r, sid));
const states = (dacl: Ace[], sids: string[]): Record<string, string> =>
  Object.fromEntries(evaluateRootRights(dacl, sids).map((f) => [f.right.id, f.state]));

describe('writeback rights', () => {
  it('finds all four rights missing on a DACL that grants the account nothing', () => {
    expect(states(allGrants(OTHER), [SVC])).toEqual({
      'reset-password': 'missing',
      'write-lockoutTime': 'missing',
      'write-pwdLastSet': 'missing',
      'unexpire-password': 'missing',
    });
  });

  it('counts grants to a group the account is in, and to Authenticated Users', () => {
    expect(Object.values(states(allGrants(GROUP), [SVC, GROUP]))).toEqual(Array(4).fill('granted'));
    expect(Object.values(states(allGrants('S-1-5-11'), [SVC]))).toEqual(Array(4).fill('granted'));
  });

  it('does not count a user right that is not inheritable, nor one inherited by another class', () => {
    const notInherited = { ...grantAce(WRITEBACK_RIGHTS[0], SVC), flags: 0 };
    const forGroups = {
      ...grantAce(WRITEBACK_RIGHTS[0], SVC),
      inheritedObjectType: 'bf967a9c-0de6-11d0-a285-00aa003049e2',
    };
    expect(states([notInherited], [SVC])['reset-password']).toBe('missing');
    expect(states([forGroups], [SVC])['reset-password']).toBe('missing');
  });

  it('counts full control and reports a matching deny as denied', () => {
    const fullControl: Ace = {
      type: AceType.ACCESS_ALLOWED,
      flags: AceFlags.CONTAINER_INHERIT,
      mask: AccessMask.GENERIC_ALL,
      sid: SVC,
    };
    expect(Object.values(states([fullControl], [SVC]))).toEqual(Array(4).fill('granted'));
    const deny: Ace = { ...grantAce(WRITEBACK_RIGHTS[1], 'S-1-1-0'), type: AceType.ACCESS_DENIED_OBJECT };
    expect(states([deny, ...allGrants(SVC)], [SVC])['write-lockoutTime']).toBe('denied');
  });

  it("reads a user's own DACL: inherited ACEs count there, inherit-only ones do not", () => {
    const inherited: Ace = { ...grantAce(WRITEBACK_RIGHTS[0], SVC), flags: AceFlags.INHERITED };
    const inheritOnly = grantAce(WRITEBACK_RIGHTS[0], SVC);
    const reset = (dacl: Ace[]): string | undefined =>
      evaluateUserRights(dacl, [SVC]).find((f) => f.right.id === 'reset-password')?.state;
    expect(reset([inherited])).toBe('granted');
    expect(reset([inheritOnly])).toBe('missing');
  });

  it('adds only the ACEs the account lacks, and nothing the second time', () => {
    const existing = [grantAce(WRITEBACK_RIGHTS[0], SVC)];
    const missing = missingGrants(existing, SVC);
    expect(missing.map((a) => a.objectType)).toEqual(WRITEBACK_RIGHTS.slice(1).map((r) => r.objectType));
    expect(missingGrants([...existing, ...missing], SVC)).toEqual([]);
    // A group's grant can be taken away by someone else: the account still gets its own.
    expect(missingGrants(allGrants(GROUP), SVC)).toHaveLength(4);
  });

  it('grants user rights inheritable onto user objects only, and Unexpire Password on the root itself', () => {
    expect(grantAce(WRITEBACK_RIGHTS[0], SVC)).toMatchObject({
      flags: AceFlags.CONTAINER_INHERIT | AceFlags.INHERIT_ONLY,
      inheritedObjectType: USER_CLASS_GUID,
    });
    expect(grantAce(WRITEBACK_RIGHTS[3], SVC)).toMatchObject({ flags: 0 });
    expect(grantAce(WRITEBACK_RIGHTS[3], SVC).inheritedObjectType).toBeUndefined();
  });

  it('inserts explicit ACEs before the inherited ones, as a canonical DACL has them', () => {
    const explicit: Ace = { type: AceType.ACCESS_DENIED, flags: 0, mask: 1, sid: OTHER };
    const inherited: Ace = { type: AceType.ACCESS_ALLOWED, flags: AceFlags.INHERITED, mask: 1, sid: OTHER };
    const added = grantAce(WRITEBACK_RIGHTS[0], SVC);
    expect(withAces([explicit, inherited], [added])).toEqual([explicit, added, inherited]);
    expect(withAces([explicit], [added])).toEqual([explicit, added]);
  });
});
