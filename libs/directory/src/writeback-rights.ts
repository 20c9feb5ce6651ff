import { AccessMask, type Ace, AceFlags, AceType, aceToSddl } from './security-descriptor';

/** The `user` class's schemaIDGUID. */
export const USER_CLASS_GUID = 'bf967aba-0de6-11d0-a285-00aa003049e2';

/**
 * What the seed's troubleshooting list asks of the service account, as the ACEs a domain root
 * needs (the same ones `Set-AADCloudSyncPermissions -PermissionType PasswordWriteBack` adds):
 * three inherited onto user objects, one on the root itself.
 */
export const WRITEBACK_RIGHTS = [
  {
    id: 'reset-password',
    label: 'Reset Password on user objects',
    appliesTo: 'users',
    mask: AccessMask.CONTROL_ACCESS,
    objectType: '00299570-246d-11d0-a768-00aa006e0529',
  },
  {
    id: 'write-lockoutTime',
    label: 'Write lockoutTime on user objects',
    appliesTo: 'users',
    mask: AccessMask.WRITE_PROPERTY,
    objectType: '28630ebf-41d5-11d1-a9c1-0000f80367c1',
  },
  {
    id: 'write-pwdLastSet',
    label: 'Write pwdLastSet on user objects',
    appliesTo: 'users',
    mask: AccessMask.WRITE_PROPERTY,
    objectType: 'bf967a0a-0de6-11d0-a285-00aa003049e2',
  },
  {
    id: 'unexpire-password',
    label: 'Unexpire Password on the domain root',
    appliesTo: 'domain-root',
    mask: AccessMask.CONTROL_ACCESS,
    objectType: 'ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501',
  },
] as const;

export type WritebackRight = (typeof WRITEBACK_RIGHTS)[number];
export type WritebackRightId = WritebackRight['id'];

/** Everyone and Authenticated Users: every bound account holds them, tokenGroups lists neither. */
export const IMPLICIT_SIDS = ['S-1-1-0', 'S-1-5-11'] as const;

/** The ACE that grants `right` to `sid` when placed on the domain root. */
export function grantAce(right: WritebackRight, sid: string): Ace {
  return {
    type: AceType.ACCESS_ALLOWED_OBJECT,
    flags: right.appliesTo === 'users' ? AceFlags.CONTAINER_INHERIT | AceFlags.INHERIT_ONLY : 0,
    mask: right.mask,
    objectType: right.objectType,
    ...(right.appliesTo === 'users' ? { inheritedObjectType: USER_CLASS_GUID } : {}),
    sid,
  };
}

function covers(ace: Ace, right: WritebackRight): boolean {
  const broad =
    (ace.mask & AccessMask.GENERIC_ALL) !== 0 ||
    (right.mask === AccessMask.WRITE_PROPERTY && (ace.mask & AccessMask.GENERIC_WRITE) !== 0);
  if (broad) return true;
  if ((ace.mask & right.mask) === 0) return false;
  // A simple ACE, or an object ACE without an object type, grants the right for every type.
  return ace.objectType === undefined || ace.objectType === right.objectType;
}

/**
 * Whether an ACE on the domain root reaches what the right is about: user objects below it
 * (inheritable by containers, for users or every class), or the root itself.
 */
function reachesFromRoot(ace: Ace, right: WritebackRight): boolean {
  if (right.appliesTo === 'domain-root') return (ace.flags & AceFlags.INHERIT_ONLY) === 0;
  const inheritable =
    (ace.flags & AceFlags.CONTAINER_INHERIT) !== 0 && (ace.flags & AceFlags.NO_PROPAGATE_INHERIT) === 0;
  return inheritable && (ace.inheritedObjectType === undefined || ace.inheritedObjectType === USER_CLASS_GUID);
}

/** Whether an ACE in an object's own DACL takes part in access checks on that object. */
const effectiveOnObject = (ace: Ace): boolean => (ace.flags & AceFlags.INHERIT_ONLY) === 0;

export type RightState = 'granted' | 'missing' | 'denied';

export interface RightFinding {
  right: WritebackRight;
  state: RightState;
  /** The ACEs that grant or deny it, in SDDL. */
  evidence: string[];
}

const isDeny = (ace: Ace): boolean => ace.type === AceType.ACCESS_DENIED || ace.type === AceType.ACCESS_DENIED_OBJECT;
const isAllow = (ace: Ace): boolean =>
  ace.type === AceType.ACCESS_ALLOWED || ace.type === AceType.ACCESS_ALLOWED_OBJECT;

function evaluate(
  dacl: readonly Ace[],
  sids: ReadonlySet<string>,
  right: WritebackRight,
  applies: (ace: Ace) => boolean,
): RightFinding {
  const relevant = dacl.filter((ace) => sids.has(ace.sid) && applies(ace) && covers(ace, right));
  const deny = relevant.filter(isDeny);
  // A matching deny wins in a canonically ordered DACL, which is what AD keeps.
  if (deny.length > 0) return { right, state: 'denied', evidence: deny.map(aceToSddl) };
  const allow = relevant.filter(isAllow);
  return { right, state: allow.length > 0 ? 'granted' : 'missing', evidence: allow.map(aceToSddl) };
}

/** The four rights, as the domain root's DACL gives them to an account holding `sids`. */
export function evaluateRootRights(dacl: readonly Ace[], sids: readonly string[]): RightFinding[] {
  const set = new Set([...sids, ...IMPLICIT_SIDS]);
  return WRITEBACK_RIGHTS.map((right) => evaluate(dacl, set, right, (ace) => reachesFromRoot(ace, right)));
}

/** The user-object rights as they arrived (or did not) in one user's own DACL. */
export function evaluateUserRights(dacl: readonly Ace[], sids: readonly string[]): RightFinding[] {
  const set = new Set([...sids, ...IMPLICIT_SIDS]);
  return WRITEBACK_RIGHTS.filter((r) => r.appliesTo === 'users').map((right) =>
    evaluate(dacl, set, right, effectiveOnObject),
  );
}

/**
 * The ACEs to add to the domain root so that `sid` holds every right: none for a right the
 * account already holds through an explicit ACE of its own. Inherited or group grants do not
 * count, because they can be taken away by someone else.
 */
export function missingGrants(dacl: readonly Ace[], sid: string): Ace[] {
  return WRITEBACK_RIGHTS.filter(
    (right) =>
      !dacl.some(
        (ace) =>
          ace.sid === sid &&
          isAllow(ace) &&
          (ace.flags & AceFlags.INHERITED) === 0 &&
          reachesFromRoot(ace, right) &&
          covers(ace, right),
      ),
  ).map((right) => grantAce(right, sid));
}

/**
 * Inserts explicit allow ACEs where a canonical DACL keeps them: after the explicit denies and
 * allows, before the first inherited ACE.
 */
export function withAces(dacl: readonly Ace[], added: readonly Ace[]): Ace[] {
  const firstInherited = dacl.findIndex((ace) => (ace.flags & AceFlags.INHERITED) !== 0);
  const at = firstInherited === -1 ? dacl.length : firstInherited;
  return [...dacl.slice(0, at), ...added, ...dacl.slice(at)];
}
