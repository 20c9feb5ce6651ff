import type { WritebackRequest } from '@writeback/contracts';
import { decidePolicy, type DomainPolicySnapshot } from './policy';
import { Reasons } from './reasons';

const CORP: DomainPolicySnapshot = { id: 'corp', writebackEnabled: true };
const USER = 'user@corp.example.test';
const ADMIN = 'admin@corp.example.test';
const OTHER_ADMIN = 'other-admin@corp.example.test';

type Row = Pick<WritebackRequest, 'kind' | 'channel'> & {
  initiator: string;
  initiatorIsAdmin: boolean;
  target: string;
  targetIsAdmin: boolean;
};

function requestOf(row: Row): WritebackRequest {
  return {
    kind: row.kind,
    channel: row.channel,
    initiator: { id: row.initiator, isAdministrator: row.initiatorIsAdmin },
    target: { userPrincipalName: row.target, isAdministrator: row.targetIsAdmin },
    options: { forceChangeAtNextLogon: false, unlockAccount: false },
  };
}

const endUser = { initiator: USER, initiatorIsAdmin: false, target: USER, targetIsAdmin: false };
const adminSelf = { initiator: ADMIN, initiatorIsAdmin: true, target: ADMIN, targetIsAdmin: true };
const adminOnUser = { initiator: ADMIN, initiatorIsAdmin: true, target: USER, targetIsAdmin: false };

/**
 * The seed's "Supported operations" table, plus the two operations its validation scenarios
 * add (the Frontline worker portal and self-service account unlock).
 */
const supported: Array<[string, Row]> = [
  ['end user: self-service voluntary change', { ...endUser, kind: 'change', channel: 'change-password-page' }],
  [
    'end user: self-service forced change (expired password)',
    { ...endUser, kind: 'forced-change', channel: 'change-password-page' },
  ],
  [
    'end user: self-service password reset from the SSPR page',
    { ...endUser, kind: 'self-service-reset', channel: 'sspr-portal' },
  ],
  ['administrator: self-service voluntary change', { ...adminSelf, kind: 'change', channel: 'change-password-page' }],
  [
    'administrator: self-service forced change (expired password)',
    { ...adminSelf, kind: 'forced-change', channel: 'change-password-page' },
  ],
  [
    'administrator: self-service password reset from the SSPR page',
    { ...adminSelf, kind: 'self-service-reset', channel: 'sspr-portal' },
  ],
  [
    'administrator resets an end user from the Microsoft Entra admin center',
    { ...adminOnUser, kind: 'admin-reset', channel: 'admin-center' },
  ],
  [
    'administrator resets an end user from the Microsoft Graph API',
    { ...adminOnUser, kind: 'admin-reset', channel: 'graph-api' },
  ],
  [
    'validation: administrator resets an end user from the Frontline worker portal',
    { ...adminOnUser, kind: 'admin-reset', channel: 'frontline-portal' },
  ],
  [
    'validation: end user unlocks their account in the SSPR portal',
    { ...endUser, kind: 'unlock', channel: 'sspr-portal' },
  ],
  [
    'validation: administrator unlocks their own account in the SSPR portal',
    { ...adminSelf, kind: 'unlock', channel: 'sspr-portal' },
  ],
];

/** The seed's "Unsupported operations" table, each row with every channel it names. */
const unsupported: Array<[string, Row]> = [
  [
    'end user resets their own password with PowerShell',
    { ...endUser, kind: 'self-service-reset', channel: 'powershell' },
  ],
  [
    'end user resets their own password with the Microsoft Graph API',
    { ...endUser, kind: 'self-service-reset', channel: 'graph-api' },
  ],
  ['end user changes their own password with PowerShell', { ...endUser, kind: 'change', channel: 'powershell' }],
  [
    'end user changes their own password with the Microsoft Graph API',
    { ...endUser, kind: 'change', channel: 'graph-api' },
  ],
  ['administrator resets an end user with PowerShell', { ...adminOnUser, kind: 'admin-reset', channel: 'powershell' }],
  [
    'administrator resets an end user from the Microsoft 365 admin center',
    { ...adminOnUser, kind: 'admin-reset', channel: 'm365-admin-center' },
  ],
  [
    'administrator resets their own password with the reset tool (admin center)',
    { ...adminSelf, kind: 'admin-reset', channel: 'admin-center' },
  ],
  [
    'administrator resets their own password with the reset tool (Graph API)',
    { ...adminSelf, kind: 'admin-reset', channel: 'graph-api' },
  ],
  [
    'administrator resets another administrator (admin center)',
    { ...adminOnUser, target: OTHER_ADMIN, targetIsAdmin: true, kind: 'admin-reset', channel: 'admin-center' },
  ],
  [
    'administrator resets another administrator (Graph API)',
    { ...adminOnUser, target: OTHER_ADMIN, targetIsAdmin: true, kind: 'admin-reset', channel: 'graph-api' },
  ],
  [
    // A UPN is case-insensitive: this is still the administrator's own password, even when the
    // caller left `target.isAdministrator` at its default (false).
    'administrator resets their own password, UPN spelled in another case',
    {
      ...adminOnUser,
      initiator: 'Admin@Corp.Example.Test',
      target: ADMIN,
      kind: 'admin-reset',
      channel: 'admin-center',
    },
  ],
  [
    'a non-administrator uses the administrator reset',
    { ...endUser, target: 'someone@corp.example.test', kind: 'admin-reset', channel: 'admin-center' },
  ],
];

describe('decidePolicy: the seed operation matrix', () => {
  it.each(supported)('writes back: %s', (_row, row) => {
    expect(decidePolicy(requestOf(row), 'resolved', CORP)).toEqual({ approved: true });
  });

  it.each(unsupported)('refuses: %s', (_row, row) => {
    expect(decidePolicy(requestOf(row), 'resolved', CORP)).toEqual({
      approved: false,
      reason: Reasons.OPERATION_UNSUPPORTED,
    });
    expect(Reasons.OPERATION_UNSUPPORTED.code).toBe('POLICY.OPERATION_UNSUPPORTED');
  });
});

describe('decidePolicy: routing and domain switches come before the matrix', () => {
  const supportedRequest = requestOf(supported[0]![1]);

  it.each([
    ['an ambiguous suffix', 'ambiguous', CORP, 'TARGET.MULTIPLE_MATCHES'],
    ['no matching suffix', 'no-match', null, 'TARGET.NO_MATCHING_DOMAIN'],
    ['a domain removed since routing', 'resolved', null, 'TARGET.NO_MATCHING_DOMAIN'],
    [
      'a domain with writeback disabled',
      'resolved',
      { id: 'corp', writebackEnabled: false },
      'POLICY.WRITEBACK_DISABLED',
    ],
  ] as const)('refuses %s', (_case, routing, domain, code) => {
    const decision = decidePolicy(supportedRequest, routing, domain);
    expect(decision.approved).toBe(false);
    expect(decision.approved ? undefined : decision.reason.code).toBe(code);
  });
});
