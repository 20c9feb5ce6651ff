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
  OPERATION_UNSUPPORTED: {
    code: 'POLICY.OPERATION_UNSUPPORTED',
    message: 'This operation is not written back to the on-premises directory.',
  },
  USER_NOT_FOUND: {
    code: 'AD.USER_NOT_FOUND',
    message: 'No user with this UPN exists under the domain base DN.',
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
  DIRECTORY_ERROR: {
    code: 'AD.UNEXPECTED',
    message: 'The directory refused the change for an unexpected reason; see the executor logs.',
  },
} as const;

export type ReasonKey = keyof typeof Reasons;
export type ReasonCode = (typeof Reasons)[ReasonKey]['code'];
