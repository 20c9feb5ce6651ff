import type { OperationKind, Reason, ScimPush, WritebackRequest } from '@writeback/contracts';
import { findPolicyRule, POLICY_MATRIX, type PolicyRule } from './policy-matrix';
import { Reasons } from './reasons';

export const POLICY_VERSION: string = POLICY_MATRIX.version;

/** A domain's changes to the matrix, by rule id (mirrors `PolicyOverrides` in contracts). */
export interface DomainPolicyOverrides {
  /** Allow rules this domain refuses (narrowing). */
  refuse: readonly string[];
  /** Refusal rules this domain allows (widening); ignored unless `allowWidening`. */
  allow: readonly string[];
  allowWidening: boolean;
}

/** What the policy needs of a domain; a `DomainConfig` from contracts fits as it is. */
export interface DomainPolicySnapshot {
  id: string;
  /** The seed's "Enable password write back for synced users". */
  writebackEnabled: boolean;
  /** The seed's "Write back passwords with Microsoft Entra Connect cloud sync": this engine, not another. */
  engineOwnsDomain: boolean;
  /** The seed's "Allow users to unlock accounts without resetting their password". */
  allowUnlockWithoutReset: boolean;
  /** What a SCIM client's password push is here (ADR 0023): a SCIM request names no kind of its own. */
  scimPush: ScimPush;
  policy: DomainPolicyOverrides;
}

export type Routing = 'resolved' | 'no-match' | 'ambiguous';

/** `ruleId` names the matrix rule that decided; null when routing, a switch or no rule did. */
export type PolicyDecision =
  { approved: true; ruleId: string } | { approved: false; reason: Reason; ruleId: string | null };

const refuse = (reason: Reason, ruleId: string | null = null): PolicyDecision => ({ approved: false, reason, ruleId });

/**
 * The one kind a domain's SCIM pushes may be, or null when pushes are off. A switch rather than
 * a comparison of strings: the switch's values and the kinds only happen to share names.
 */
function scimPushKind(scimPush: ScimPush): OperationKind | null {
  switch (scimPush) {
    case 'off':
      return null;
    case 'change':
      return 'change';
    case 'admin-reset':
      return 'admin-reset';
    default: {
      const unknown: never = scimPush;
      throw new Error(`unknown scimPush ${String(unknown)}`);
    }
  }
}

/**
 * Routing, then the domain switches, then the operation matrix with the domain's overrides,
 * then the unlock switch (docs/policy.md). Pure: the request and the domain in, a decision out.
 */
export function decidePolicy(
  request: WritebackRequest,
  routing: Routing,
  domain: DomainPolicySnapshot | null,
): PolicyDecision {
  if (routing === 'ambiguous') return refuse(Reasons.TARGET_MULTIPLE_DOMAINS);
  if (routing === 'no-match' || !domain) return refuse(Reasons.TARGET_NO_MATCHING_DOMAIN);
  if (!domain.writebackEnabled) return refuse(Reasons.DOMAIN_WRITEBACK_DISABLED);
  if (!domain.engineOwnsDomain) return refuse(Reasons.DOMAIN_NOT_OWNED);
  // A SCIM push carries no kind: the gate builds one from this same switch, so a kind that is
  // not the switch's means the switch changed since (or is off), and the domain's say wins.
  if (request.channel === 'scim' && request.kind !== scimPushKind(domain.scimPush)) {
    return refuse(Reasons.SCIM_PUSH_DISABLED);
  }

  const rule = findPolicyRule(request);
  if (!rule) return refuse(Reasons.OPERATION_UNSUPPORTED);
  const decision = applyOverrides(rule, domain.policy);
  if (!decision.approved) return decision;

  // The switch is about unlocking *without* a reset. A password change or reset that also
  // unlocks (`options.unlockAccount`) sets a password, so it is what the switch's "off" asks for.
  if (request.kind === 'unlock' && !domain.allowUnlockWithoutReset) return refuse(Reasons.UNLOCK_NOT_ALLOWED);
  return decision;
}

function applyOverrides(rule: PolicyRule, overrides: DomainPolicyOverrides): PolicyDecision {
  if (rule.effect.type === 'allow') {
    return overrides.refuse.includes(rule.id)
      ? refuse(Reasons.DISABLED_FOR_DOMAIN, rule.id)
      : { approved: true, ruleId: rule.id };
  }
  // Widening needs both the rule id and the explicit flag: a stray id alone never allows.
  if (overrides.allowWidening && overrides.allow.includes(rule.id)) return { approved: true, ruleId: rule.id };
  return refuse(rule.effect.reason, rule.id);
}

/** Problems with a domain's overrides, worded for an administrator (config-service answers 400). */
export function validatePolicyOverrides(overrides: DomainPolicyOverrides): string[] {
  const effects = new Map<string, PolicyRule['effect']['type']>(
    POLICY_MATRIX.rules.map((rule): [string, PolicyRule['effect']['type']] => [rule.id, rule.effect.type]),
  );
  const problems: string[] = [];
  for (const id of overrides.refuse) {
    const effect = effects.get(id);
    if (!effect) {
      problems.push(`policy.refuse: unknown rule "${id}"; docs/policy.md lists the rules`);
    } else if (effect === 'refuse') {
      problems.push(`policy.refuse: rule "${id}" already refuses; listing it changes nothing`);
    }
  }
  for (const id of overrides.allow) {
    const effect = effects.get(id);
    if (!effect) {
      problems.push(`policy.allow: unknown rule "${id}"; docs/policy.md lists the rules`);
    } else if (effect === 'allow') {
      problems.push(`policy.allow: rule "${id}" already allows; listing it changes nothing`);
    } else if (!overrides.allowWidening) {
      problems.push(
        `policy.allow: allowing "${id}" writes back an operation the seed does not support; set policy.allowWidening to true to do so deliberately`,
      );
    }
  }
  return problems;
}
