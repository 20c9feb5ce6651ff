import type { Reason } from '@writeback/contracts';
import { Reasons } from './reasons';

/** What an LDAP client reported, reduced to the two facts AD's errors are told apart by. */
export interface DirectoryFailure {
  /** LDAP result code when the server answered; undefined for transport failures. */
  resultCode?: number;
  /** Server diagnostic message, or the transport error's code/message. */
  message: string;
}

export interface ClassifiedFailure {
  reason: Reason;
  /** Retriable means try again later (another DC, after backoff); otherwise a terminal rejection. */
  retriable: boolean;
}

const LDAP_CONSTRAINT_VIOLATION = 19;
const LDAP_UNWILLING_TO_PERFORM = 53;
const LDAP_INSUFFICIENT_ACCESS = 50;
const LDAP_INVALID_CREDENTIALS = 49;
const LDAP_BUSY = 51;
const LDAP_UNAVAILABLE = 52;

/** Classifies an AD failure once; callers never look at LDAP codes themselves. */
export function classifyDirectoryFailure(failure: DirectoryFailure): ClassifiedFailure {
  const text = failure.message.toLowerCase();
  switch (failure.resultCode) {
    case LDAP_CONSTRAINT_VIOLATION:
    case LDAP_UNWILLING_TO_PERFORM:
      if (text.includes('too young')) return { reason: Reasons.PASSWORD_TOO_YOUNG, retriable: false };
      if (text.includes('password') || text.includes('0000052d')) {
        return { reason: Reasons.PASSWORD_POLICY, retriable: false };
      }
      return { reason: Reasons.DIRECTORY_ERROR, retriable: false };
    case LDAP_INSUFFICIENT_ACCESS:
      return { reason: Reasons.INSUFFICIENT_ACCESS, retriable: true };
    case LDAP_INVALID_CREDENTIALS:
      return { reason: Reasons.EXECUTOR_CONFIGURATION, retriable: true };
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      return { reason: Reasons.DC_UNAVAILABLE, retriable: true };
    case undefined:
      if (/cert|tls|ssl|self.signed|unable to verify/.test(text)) {
        return { reason: Reasons.TLS_FAILURE, retriable: true };
      }
      return { reason: Reasons.DC_UNAVAILABLE, retriable: true };
    default:
      return { reason: Reasons.DIRECTORY_ERROR, retriable: false };
  }
}

/** The delegated rights of the seed's troubleshooting list, each needed by one write. */
export type DelegatedRight = 'Reset Password' | 'Write lockoutTime' | 'Write pwdLastSet' | 'Unexpire Password';

/** AD.INSUFFICIENT_ACCESS, naming the right the refused write needed. */
export function missingRight(right: DelegatedRight): Reason {
  return {
    code: Reasons.INSUFFICIENT_ACCESS.code,
    message: `The service account lacks the delegated right "${right}" on this user, or inheritance is disabled on the user or its OU. Run 'writeback permissions check'.`,
  };
}
