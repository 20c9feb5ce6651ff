import { Channel, OperationKind, type Reason, type WritebackRequest } from '@writeback/contracts';
import { Reasons } from './reasons';

/** Who acts on whose password, derived from the request (never sent by the caller). */
export type ActorRelation = 'self' | 'administrator-on-user' | 'administrator-on-administrator' | 'user-on-other';

/**
 * Whether the initiator is an administrator. Only the seed's self-service rows need it: they
 * list end users and administrators separately, so a domain can refuse one without the other.
 */
export type InitiatorRole = 'any' | 'end-user' | 'administrator';

export interface PolicyRuleMatch {
  kinds: readonly OperationKind[];
  channels: readonly Channel[];
  relations: readonly ActorRelation[];
  initiator: InitiatorRole;
}

export type PolicyEffect = { type: 'allow' } | { type: 'refuse'; reason: Reason };

export interface PolicyRule {
  /** Stable, kebab-case; domain overrides and events name rules by it. Never reuse one. */
  id: string;
  /** Where the rule comes from in the seed, quoted, and how it is read. */
  description: string;
  match: PolicyRuleMatch;
  effect: PolicyEffect;
}

export interface PolicyMatrix {
  /** Recorded on every approval; change it whenever a rule is added, removed or changed. */
  version: string;
  rules: readonly PolicyRule[];
}

const ALL_KINDS = OperationKind.options;
const ALL_CHANNELS = Channel.options;
/** Where users change or reset their own password interactively. */
const SELF_SERVICE_CHANNELS = ['sspr-portal', 'change-password-page'] as const;
/** Self-service operations that set a password (unlock does not). */
const SELF_PASSWORD_KINDS = ['change', 'forced-change', 'self-service-reset'] as const;

const allow = { type: 'allow' } as const;
const refuse = (reason: Reason) => ({ type: 'refuse', reason }) as const;

/**
 * The seed's supported and unsupported operations as data. Evaluated in order, first match
 * wins, and a request no rule matches is refused with `POLICY.OPERATION_UNSUPPORTED`. The rules
 * are also pairwise disjoint (a unit test holds them to it), so an override by rule id changes
 * exactly the requests that rule describes.
 */
export const POLICY_MATRIX = {
  version: '2026-12-06.1',
  rules: [
    {
      id: 'end-user-self-service-change',
      description: 'Supported, end users: "Any end-user self-service voluntary change password operation."',
      match: { kinds: ['change'], channels: SELF_SERVICE_CHANNELS, relations: ['self'], initiator: 'end-user' },
      effect: allow,
    },
    {
      id: 'end-user-self-service-forced-change',
      description:
        'Supported, end users: "Any end-user self-service force change password operation, for example, password expiration."',
      match: {
        kinds: ['forced-change'],
        channels: SELF_SERVICE_CHANNELS,
        relations: ['self'],
        initiator: 'end-user',
      },
      effect: allow,
    },
    {
      id: 'end-user-self-service-reset',
      description:
        'Supported, end users: "Any end-user self-service password reset that originates from password reset."',
      match: { kinds: ['self-service-reset'], channels: ['sspr-portal'], relations: ['self'], initiator: 'end-user' },
      effect: allow,
    },
    {
      id: 'administrator-self-service-change',
      description: 'Supported, administrators: "Any administrator self-service voluntary change password operation."',
      match: { kinds: ['change'], channels: SELF_SERVICE_CHANNELS, relations: ['self'], initiator: 'administrator' },
      effect: allow,
    },
    {
      id: 'administrator-self-service-forced-change',
      description:
        'Supported, administrators: "Any administrator self-service force change password operation, for example, password expiration."',
      match: {
        kinds: ['forced-change'],
        channels: SELF_SERVICE_CHANNELS,
        relations: ['self'],
        initiator: 'administrator',
      },
      effect: allow,
    },
    {
      id: 'administrator-self-service-reset',
      description:
        'Supported, administrators: "Any administrator self-service password reset that originates from password reset."',
      match: {
        kinds: ['self-service-reset'],
        channels: ['sspr-portal'],
        relations: ['self'],
        initiator: 'administrator',
      },
      effect: allow,
    },
    {
      id: 'admin-reset-from-admin-center',
      description:
        'Supported, administrators: "Any administrator-initiated end-user password reset from the Microsoft Entra admin center."',
      match: {
        kinds: ['admin-reset'],
        channels: ['admin-center'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: allow,
    },
    {
      id: 'admin-reset-via-graph-api',
      description:
        'Supported, administrators: "Any administrator-initiated end-user password reset from the Microsoft Graph API."',
      match: {
        kinds: ['admin-reset'],
        channels: ['graph-api'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: allow,
    },
    {
      id: 'admin-reset-from-frontline-portal',
      description:
        'Validation scenario "Admin reset user password": "reset their password from the Microsoft Entra admin center or Frontline worker portal."',
      match: {
        kinds: ['admin-reset'],
        channels: ['frontline-portal'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: allow,
    },
    {
      id: 'self-service-unlock',
      description:
        'Validation scenario "Self-service account unlock": "unlock accounts in the SSPR portal". The domain switch allowUnlockWithoutReset decides separately.',
      match: { kinds: ['unlock'], channels: ['sspr-portal'], relations: ['self'], initiator: 'any' },
      effect: allow,
    },
    {
      id: 'admin-reset-of-own-password',
      description:
        'Unsupported, administrators: "Any administrator can\'t use password reset tool to reset their own password". On every channel: the fix is self-service, not another channel.',
      match: { kinds: ['admin-reset'], channels: ALL_CHANNELS, relations: ['self'], initiator: 'any' },
      effect: refuse(Reasons.ADMIN_RESET_OF_OWN_PASSWORD),
    },
    {
      id: 'admin-reset-of-administrator',
      description:
        'Unsupported, administrators: "[can\'t use password reset tool to reset] any other Administrator in Microsoft Entra ID for password writeback." On every channel.',
      match: {
        kinds: ['admin-reset'],
        channels: ALL_CHANNELS,
        relations: ['administrator-on-administrator'],
        initiator: 'any',
      },
      effect: refuse(Reasons.ADMIN_RESET_OF_ADMINISTRATOR),
    },
    {
      id: 'non-administrator-on-other-user',
      description:
        'Not a seed row: the seed lets only administrators act on another user\'s password ("administrator-initiated end-user password reset"), so a non-administrator never does, with any operation or channel.',
      match: { kinds: ALL_KINDS, channels: ALL_CHANNELS, relations: ['user-on-other'], initiator: 'any' },
      effect: refuse(Reasons.INITIATOR_NOT_ADMINISTRATOR),
    },
    {
      id: 'self-reset-via-powershell',
      description:
        'Unsupported, end users: "Any end user resetting their own password by using PowerShell cmdlets". Also a voluntary or forced change through the cmdlets, and an administrator\'s own password: self-service is supported only from the SSPR portal and the change-password page.',
      match: { kinds: SELF_PASSWORD_KINDS, channels: ['powershell'], relations: ['self'], initiator: 'any' },
      effect: refuse(Reasons.SELF_RESET_VIA_POWERSHELL),
    },
    {
      id: 'self-reset-via-graph-api',
      description:
        'Unsupported, end users: "Any end user resetting their own password by using ... the Microsoft Graph API." Also a voluntary or forced change through the API, and an administrator\'s own password.',
      match: { kinds: SELF_PASSWORD_KINDS, channels: ['graph-api'], relations: ['self'], initiator: 'any' },
      effect: refuse(Reasons.SELF_RESET_VIA_GRAPH_API),
    },
    {
      id: 'admin-reset-via-powershell',
      description:
        'Unsupported, administrators: "Any administrator-initiated end-user password reset by using PowerShell cmdlets."',
      match: {
        kinds: ['admin-reset'],
        channels: ['powershell'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: refuse(Reasons.ADMIN_RESET_VIA_POWERSHELL),
    },
    {
      id: 'reset-via-m365-admin-center',
      description:
        'Unsupported, administrators: "Any administrator-initiated end-user password reset from the Microsoft 365 admin center."',
      match: {
        kinds: ['admin-reset'],
        channels: ['m365-admin-center'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: refuse(Reasons.RESET_VIA_M365_ADMIN_CENTER),
    },
    {
      id: 'scim-push-change',
      description:
        'Not a seed row; ADR 0023: a SCIM client\'s password push, in a domain whose scimPush is `change`, "records the push as the user\'s own voluntary change" (the initiator is the target). Step 3b refuses it in any other domain.',
      match: { kinds: ['change'], channels: ['scim'], relations: ['self'], initiator: 'any' },
      effect: allow,
    },
    {
      id: 'scim-push-admin-reset',
      description:
        'Not a seed row; ADR 0023: a SCIM client\'s password push, in a domain whose scimPush is `admin-reset`, "records it as a reset by the SCIM client" (an administrator). Rules 11 and 12 still refuse, on this channel too, a reset of one\'s own account or of an administrator. Step 3b refuses it in any other domain.',
      match: {
        kinds: ['admin-reset'],
        channels: ['scim'],
        relations: ['administrator-on-user'],
        initiator: 'any',
      },
      effect: allow,
    },
  ],
} as const satisfies PolicyMatrix;

export type PolicyRuleId = (typeof POLICY_MATRIX.rules)[number]['id'];

const sameIdentity = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * UPNs are case-insensitive, so "self" compares them that way. Self wins over the target's
 * `isAdministrator` flag, which callers may leave at its default.
 */
export function actorRelation(request: Pick<WritebackRequest, 'initiator' | 'target'>): ActorRelation {
  const { initiator, target } = request;
  if (sameIdentity(initiator.id, target.userPrincipalName)) return 'self';
  if (!initiator.isAdministrator) return 'user-on-other';
  return target.isAdministrator ? 'administrator-on-administrator' : 'administrator-on-user';
}

export function ruleMatches(rule: Pick<PolicyRule, 'match'>, request: WritebackRequest): boolean {
  const { kinds, channels, relations, initiator } = rule.match;
  const role: InitiatorRole = request.initiator.isAdministrator ? 'administrator' : 'end-user';
  return (
    kinds.includes(request.kind) &&
    channels.includes(request.channel) &&
    relations.includes(actorRelation(request)) &&
    (initiator === 'any' || initiator === role)
  );
}

/** The first rule that matches, or null when none does (refused as unsupported). */
export function findPolicyRule(request: WritebackRequest, matrix: PolicyMatrix = POLICY_MATRIX): PolicyRule | null {
  return matrix.rules.find((rule) => ruleMatches(rule, request)) ?? null;
}

const listOrAll = (values: readonly string[], all: readonly string[]): string =>
  all.every((v) => values.includes(v)) ? 'any' : values.map((v) => `\`${v}\``).join(', ');

const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The matrix as a Markdown table; docs/policy.md embeds exactly this (a test checks it). */
export function renderPolicyMatrixMarkdown(matrix: PolicyMatrix = POLICY_MATRIX): string {
  const header = [
    `Matrix version \`${matrix.version}\`. Evaluated top to bottom, first match wins; a request no rule matches is refused with \`${Reasons.OPERATION_UNSUPPORTED.code}\`.`,
    '',
    '| # | rule id | effect | kinds | channels | actor | initiator | seed |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const rows = matrix.rules.map((rule, index) => {
    const { kinds, channels, relations, initiator } = rule.match;
    const effect = rule.effect.type === 'allow' ? 'allow' : `refuse \`${rule.effect.reason.code}\``;
    return `| ${[
      String(index + 1),
      `\`${rule.id}\``,
      effect,
      listOrAll(kinds, ALL_KINDS),
      listOrAll(channels, ALL_CHANNELS),
      relations.map((r) => `\`${r}\``).join(', '),
      initiator,
      cell(rule.description),
    ].join(' | ')} |`;
  });
  return [...header, ...rows].join('\n');
}
