import type { Reason, WritebackRequest } from '@writeback/contracts';
import { Reasons } from './reasons';

export const POLICY_VERSION = '2026-11-25.1';

export interface DomainPolicySnapshot {
  id: string;
  writebackEnabled: boolean;
}

export type Routing = 'resolved' | 'no-match' | 'ambiguous';

export type PolicyDecision = { approved: true } | { approved: false; reason: Reason };

const refuse = (reason: Reason): PolicyDecision => ({ approved: false, reason });

/**
 * The seed's supported/unsupported operation matrix. Pure: the request and the domain's
 * switches in, a decision out.
 */
export function decidePolicy(
  request: WritebackRequest,
  routing: Routing,
  domain: DomainPolicySnapshot | null,
): PolicyDecision {
  if (routing === 'ambiguous') return refuse(Reasons.TARGET_MULTIPLE_DOMAINS);
  if (routing === 'no-match' || !domain) return refuse(Reasons.TARGET_NO_MATCHING_DOMAIN);
  if (!domain.writebackEnabled) return refuse(Reasons.DOMAIN_WRITEBACK_DISABLED);
  if (!isSupported(request)) return refuse(Reasons.OPERATION_UNSUPPORTED);
  return { approved: true };
}

function isSupported(request: WritebackRequest): boolean {
  const { kind, channel, initiator, target } = request;
  // UPNs are case-insensitive; an administrator resetting their own password is refused.
  const self = initiator.id.trim().toLowerCase() === target.userPrincipalName.trim().toLowerCase();
  switch (kind) {
    case 'change':
    case 'forced-change':
      return channel !== 'powershell' && channel !== 'graph-api' && channel !== 'm365-admin-center';
    case 'self-service-reset':
    case 'unlock':
      return channel === 'sspr-portal';
    case 'admin-reset':
      if (!initiator.isAdministrator || self || target.isAdministrator) return false;
      return channel === 'admin-center' || channel === 'frontline-portal' || channel === 'graph-api';
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown operation kind ${String(unreachable)}`);
    }
  }
}
