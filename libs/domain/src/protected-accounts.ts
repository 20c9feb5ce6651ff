import type { Reason } from '@writeback/contracts';
import { Reasons } from './reasons';

/**
 * The accounts and groups AD's AdminSDHolder protects, by well-known RID (relative to a
 * domain's SID) or built-in SID: names are localised, SIDs are not. The names here only
 * make a refusal readable.
 */
const PROTECTED_ACCOUNT_RIDS: ReadonlyMap<number, string> = new Map([
  [500, 'the built-in Administrator account'],
  [502, 'the krbtgt account'],
]);
const PROTECTED_GROUP_RIDS: ReadonlyMap<number, string> = new Map([
  [512, 'Domain Admins'],
  [516, 'Domain Controllers'],
  [518, 'Schema Admins'],
  [519, 'Enterprise Admins'],
  [521, 'Read-only Domain Controllers'],
  [526, 'Key Admins'],
  [527, 'Enterprise Key Admins'],
]);
const PROTECTED_BUILTIN_GROUPS: ReadonlyMap<string, string> = new Map([
  ['S-1-5-32-544', 'Administrators'],
  ['S-1-5-32-548', 'Account Operators'],
  ['S-1-5-32-549', 'Server Operators'],
  ['S-1-5-32-550', 'Print Operators'],
  ['S-1-5-32-551', 'Backup Operators'],
  ['S-1-5-32-552', 'Replicator'],
]);

/** S-1-5-21-a-b-c-RID: a principal of an AD domain (any domain of the forest). */
const DOMAIN_PRINCIPAL = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/i;

function wellKnownRid(sid: string, names: ReadonlyMap<number, string>): string | undefined {
  const rid = DOMAIN_PRINCIPAL.exec(sid)?.[1];
  return rid === undefined ? undefined : names.get(Number(rid));
}

/** What the directory says about an account, as far as its privileges go. */
export interface AccountPrivileges {
  /** The account's own SID. */
  sid: string;
  /**
   * The SIDs of every security group the account belongs to, directly or through nested
   * groups, primary group included (AD's `tokenGroups`).
   */
  groupSids: readonly string[];
  /** SDProp's marker; AD sets it up to an hour after an account joins a protected group. */
  adminCount: boolean;
}

/** A group a domain protects on top of AD's own (the domain's `scope.protectedGroups`). */
export interface ProtectedGroup {
  sid: string;
  /** Its DN, as configured: what a refusal names. */
  name: string;
}

export type Protection = { protected: false } | { protected: true; because: string };

/**
 * Whether an account is privileged, so never written back: AD's protected accounts, members
 * (direct or nested) of AD's protected groups or of the domain's own, and anything SDProp has
 * marked. Enterprise and Schema Admins live in the forest root domain; any domain's RID 518 or
 * 519 is matched, since RIDs below 1000 are AD's well-known ones in every domain.
 */
export function protectionOf(account: AccountPrivileges, domainGroups: readonly ProtectedGroup[] = []): Protection {
  const own = wellKnownRid(account.sid, PROTECTED_ACCOUNT_RIDS);
  if (own) return { protected: true, because: `it is ${own}` };
  for (const sid of account.groupSids) {
    const group = PROTECTED_BUILTIN_GROUPS.get(sid.toUpperCase()) ?? wellKnownRid(sid, PROTECTED_GROUP_RIDS);
    if (group)
      return { protected: true, because: `it is a member of ${group} (${sid}), directly or through nested groups` };
  }
  const memberOf = new Set(account.groupSids.map((sid) => sid.toUpperCase()));
  const domainGroup = domainGroups.find((g) => memberOf.has(g.sid.toUpperCase()));
  if (domainGroup) {
    return {
      protected: true,
      because: `it is a member of ${domainGroup.name}, a protected group of this domain (scope.protectedGroups), directly or through nested groups`,
    };
  }
  if (account.adminCount) return { protected: true, because: 'AdminSDHolder protects it (adminCount = 1)' };
  return { protected: false };
}

/** AD.PROTECTED_ACCOUNT, naming why the account counts as privileged. */
export function protectedAccount(protection: Extract<Protection, { protected: true }>): Reason {
  return {
    code: Reasons.PROTECTED_ACCOUNT.code,
    message: `The account is privileged: ${protection.because}. Privileged accounts are never written back; change its password on-premises.`,
  };
}
