import { escapeFilter } from 'ldapts';

/** Who may be written for; empty lists mean anyone under the base DN. */
export interface WritebackScope {
  organizationalUnits: readonly string[];
  groups: readonly string[];
  ldapFilter: string | null;
  /** Groups whose (nested) members are never written for, on top of AD's protected groups. */
  protectedGroups?: readonly string[];
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups too. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** The group and filter conditions of a scope, as LDAP filter components ('' when none). */
export function scopeConditions(scope: WritebackScope): string {
  return [
    scope.groups.length > 0 ? `(|${scope.groups.map((g) => escapeFilter`(memberOf:${IN_CHAIN}:=${g})`).join('')})` : '',
    scope.ldapFilter ?? '',
  ].join('');
}

const normaliseDn = (value: string): string => value.replace(/\s*,\s*/g, ',').toLowerCase();

/** Whether a DN sits under one of the scope's OUs (true when the scope names none). */
export function underScopeOus(dn: string, scope: WritebackScope): boolean {
  const userDn = normaliseDn(dn);
  return (
    scope.organizationalUnits.length === 0 ||
    scope.organizationalUnits.some((ou) => userDn.endsWith(`,${normaliseDn(ou)}`))
  );
}
