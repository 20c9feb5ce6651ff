import type { Caller, ObjectGuid, ScimPush, WritebackRequest } from '@writeback/contracts';

/** The user a SCIM lookup found: the UPN it has now, and the entry's GUID (SCIM's `id`). */
export interface ScimUser {
  userPrincipalName: string;
  objectGuid: ObjectGuid;
}

/** Marks an initiator as a SCIM client, so it can never read as a user (a UPN has no `scim:`). */
export const SCIM_INITIATOR_PREFIX = 'scim:';

/**
 * The writeback request a SCIM password push stands for (ADR 0023 §4). A push names no kind and
 * no initiator, so the domain's `scimPush` says which it is: `change` is the user's own
 * voluntary change, `admin-reset` a reset by the SCIM client. `off` is built as a reset too, so
 * the push is still recorded and audited, and the policy (step 3b) refuses it.
 *
 * `caller.subject` longer than 251 characters is cut in the initiator's id,
 * which contracts bound to 256.
 */
export function scimWritebackRequest(
  user: ScimUser,
  scimPush: ScimPush,
  caller: Pick<Caller, 'subject' | 'issuer'>,
): WritebackRequest {
  const target = { userPrincipalName: user.userPrincipalName, isAdministrator: false, objectGuid: user.objectGuid };
  const options = { forceChangeAtNextLogon: false, unlockAccount: false };
  switch (scimPush) {
    case 'change':
      return {
        kind: 'change',
        channel: 'scim',
        initiator: { id: user.userPrincipalName, isAdministrator: false },
        target,
        options,
      };
    case 'admin-reset':
    case 'off':
      return {
        kind: 'admin-reset',
        channel: 'scim',
        initiator: { id: initiatorOf(caller), isAdministrator: true },
        target,
        options,
      };
    default: {
      const unknown: never = scimPush;
      throw new Error(`unknown scimPush ${String(unknown)}`);
    }
  }
}

/** An actor id holds 256 characters, a caller's subject 512: a longer subject is cut (the caller keeps it whole). */
function initiatorOf(caller: Pick<Caller, 'subject'>): string {
  return `${SCIM_INITIATOR_PREFIX}${caller.subject}`.slice(0, 256);
}
