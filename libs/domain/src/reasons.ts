/**
 * Stable reason codes. Clients, dashboards and runbooks key on these strings: never rename
 * one, add a new one instead. Messages are for administrators and never carry raw directory text.
 */
export const Reasons = {
  TARGET_NO_MATCHING_DOMAIN: {
    code: 'TARGET.NO_MATCHING_DOMAIN',
    message: "The user's UPN suffix matches no configured domain. Add the suffix to the domain that holds the user.",
  },
  TARGET_MULTIPLE_DOMAINS: {
    code: 'TARGET.MULTIPLE_MATCHES',
    message:
      "The user's UPN suffix matches more than one configured domain; Writeback never guesses. Make the suffixes unique.",
  },
  DOMAIN_WRITEBACK_DISABLED: {
    code: 'POLICY.WRITEBACK_DISABLED',
    message: 'Password writeback is disabled for this domain.',
  },
  DOMAIN_NOT_OWNED: {
    code: 'POLICY.DOMAIN_NOT_OWNED',
    message:
      'Another writeback engine owns this domain (side by side), so this engine does not write back for it. Turn on engineOwnsDomain for the domain only once the other engine no longer writes back for it.',
  },
  OPERATION_UNSUPPORTED: {
    code: 'POLICY.OPERATION_UNSUPPORTED',
    message:
      'This combination of operation, channel and initiator is not written back to the on-premises directory. See docs/policy.md for the supported operations.',
  },
  DISABLED_FOR_DOMAIN: {
    code: 'POLICY.DISABLED_FOR_DOMAIN',
    message:
      "This operation is supported, but the domain's policy overrides refuse it (policy.refuse). Remove the rule from policy.refuse if it should be written back.",
  },
  UNLOCK_NOT_ALLOWED: {
    code: 'POLICY.UNLOCK_NOT_ALLOWED',
    message:
      'Unlocking an account without resetting its password is turned off for this domain. The user can reset their password in the SSPR portal, which also unlocks the account, or turn on allowUnlockWithoutReset for the domain.',
  },
  SELF_RESET_VIA_POWERSHELL: {
    code: 'POLICY.SELF_RESET_VIA_POWERSHELL',
    message:
      "A user's own password set through PowerShell cmdlets is not written back. The user should reset it in the SSPR portal or change it on the change-password page instead.",
  },
  SELF_RESET_VIA_GRAPH_API: {
    code: 'POLICY.SELF_RESET_VIA_GRAPH_API',
    message:
      "A user's own password set through the Graph API is not written back. The user should reset it in the SSPR portal or change it on the change-password page instead.",
  },
  ADMIN_RESET_VIA_POWERSHELL: {
    code: 'POLICY.ADMIN_RESET_VIA_POWERSHELL',
    message:
      "A password reset by an administrator through PowerShell cmdlets is not written back. Reset the user's password from the admin center or through the Graph API instead.",
  },
  RESET_VIA_M365_ADMIN_CENTER: {
    code: 'POLICY.RESET_VIA_M365_ADMIN_CENTER',
    message:
      "A password reset from the Microsoft 365 admin center is not written back. Reset the user's password from the Microsoft Entra admin center instead.",
  },
  ADMIN_RESET_OF_OWN_PASSWORD: {
    code: 'POLICY.ADMIN_RESET_OF_OWN_PASSWORD',
    message:
      "The administrator password reset was used on the initiator's own account, which is not written back. Reset your own password in the SSPR portal or change it on the change-password page instead.",
  },
  ADMIN_RESET_OF_ADMINISTRATOR: {
    code: 'POLICY.ADMIN_RESET_OF_ADMINISTRATOR',
    message:
      "An administrator's password reset by another administrator is not written back. The target administrator should reset their own password in the SSPR portal instead.",
  },
  INITIATOR_NOT_ADMINISTRATOR: {
    code: 'POLICY.INITIATOR_NOT_ADMINISTRATOR',
    message:
      "A user who is not an administrator acted on another user's password, which is never written back. Have an administrator reset it from the admin center, or have the user reset their own password in the SSPR portal.",
  },
  SCIM_PUSH_DISABLED: {
    code: 'POLICY.SCIM_PUSH_DISABLED',
    message:
      "A SCIM client's password push is turned off for this domain. Set the domain's scimPush to change or admin-reset (docs/scim.md) if the cloud service's pushes should be written back.",
  },
  USER_NOT_FOUND: {
    code: 'AD.USER_NOT_FOUND',
    message: 'No user with this UPN exists under the domain base DN.',
  },
  USER_CHANGED: {
    code: 'AD.USER_CHANGED',
    message:
      'The UPN now names another directory entry than the one the caller looked up (it was renamed or moved between the lookup and the write). Nothing was written; look the user up again.',
  },
  USER_OUT_OF_SCOPE: {
    code: 'SCOPE.USER_OUT_OF_SCOPE',
    message:
      "The user is outside this domain's writeback scope (its OUs, groups or filter). Nothing was written; widen the scope or leave the user to another engine.",
  },
  PROTECTED_ACCOUNT: {
    code: 'AD.PROTECTED_ACCOUNT',
    message:
      "The account is privileged (AD's protected accounts, members of AD's protected groups or of the domain's own, directly or through nested groups, or adminCount = 1): privileged accounts are never written back. Change its password on-premises.",
  },
  USER_MULTIPLE_MATCHES: {
    code: 'AD.MULTIPLE_MATCHES',
    message: 'More than one directory object has this UPN; Writeback never guesses.',
  },
  PASSWORD_POLICY: {
    code: 'AD.PASSWORD_POLICY',
    message:
      'The domain password policy refused the password (length, complexity or history). Choose another password.',
  },
  PASSWORD_TOO_YOUNG: {
    code: 'AD.PASSWORD_TOO_YOUNG',
    message:
      "The password was changed too recently: the domain's minimum password age is greater than 0. Set it to 0 for writeback to apply changes immediately.",
  },
  INSUFFICIENT_ACCESS: {
    code: 'AD.INSUFFICIENT_ACCESS',
    message:
      "The service account lacks a delegated right (Reset Password, write lockoutTime, write pwdLastSet or Unexpire Password) or inheritance is disabled on the user. Run 'writeback permissions check'.",
  },
  DC_UNAVAILABLE: {
    code: 'AD.DC_UNAVAILABLE',
    message: 'No domain controller of this domain could be reached over LDAPS.',
  },
  TLS_FAILURE: {
    code: 'AD.TLS_FAILURE',
    message: "The domain controller's certificate is not trusted by the configured CA.",
  },
  CREDENTIAL_UNREADABLE: {
    code: 'EXECUTOR.CREDENTIAL_UNREADABLE',
    message:
      "The sealed password could not be opened with this executor's key (wrong key, rotated key, or tampered data).",
  },
  EXECUTOR_CONFIGURATION: {
    code: 'EXECUTOR.CONFIGURATION',
    message: 'The executor is not configured for this domain (missing key, bind secret or LDAP URL).',
  },
  DEADLINE_EXCEEDED: {
    code: 'OPERATION.DEADLINE_EXCEEDED',
    message:
      "No executor of the domain took the operation before its deadline (WRITEBACK_OPERATION_DEADLINE_MS); nothing was written to the directory and nothing will be. Check that the domain's executors, Kafka and the domain controllers are up, then try again.",
  },
  WRITE_UNCONFIRMED: {
    code: 'AD.WRITE_UNCONFIRMED',
    message:
      'The domain controller stopped answering while the password was being written and could not be asked afterwards whether it took it, so the password may or may not have been set. The user should set a new password again.',
  },
  DIRECTORY_ERROR: {
    code: 'AD.UNEXPECTED',
    message: 'The directory refused the change for an unexpected reason; see the executor logs.',
  },
} as const;

export type ReasonKey = keyof typeof Reasons;
export type ReasonCode = (typeof Reasons)[ReasonKey]['code'];
