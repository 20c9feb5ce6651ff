import { Channel, DomainConfig, OperationKind, type Reason, type WritebackRequest } from '@writeback/contracts';
import { decidePolicy, POLICY_VERSION, validatePolicyOverrides, type DomainPolicySnapshot } from './policy';
import {
  actorRelation,
  findPolicyRule,
  POLICY_MATRIX,
  renderPolicyMatrixMarkdown,
  ruleMatches,
  type ActorRelation,
  type PolicyRuleId,
} from './policy-matrix';
import { Reasons } from './reasons';
import { scimWritebackRequest } from './scim-request';

const CORP: DomainPolicySnapshot = {
  id: 'corp',
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: true,
  scimPush: 'off',
  policy: { refuse: [], allow: [], allowWidening: false },
};
/** A domain as an operator adds it: every field with a default left out. */
const ADDED_DOMAIN = {
  id: 'corp',
  displayName: 'Corp',
  ldapUrls: ['ldaps://dc1.corp.example.test'],
  baseDn: 'DC=corp,DC=example,DC=test',
  upnSuffixes: ['corp.example.test'],
  bindDn: 'CN=writeback,CN=Users,DC=corp,DC=example,DC=test',
  bindSecretRef: 'env:CORP_BIND_PASSWORD',
  publicKey: 'A'.repeat(43),
};
const USER = 'user@corp.example.test';
const OTHER_USER = 'someone@corp.example.test';
const ADMIN = 'admin@corp.example.test';
const OTHER_ADMIN = 'other-admin@corp.example.test';

type Actors = { initiator: string; initiatorIsAdmin: boolean; target: string; targetIsAdmin: boolean };
type Row = Pick<WritebackRequest, 'kind' | 'channel'> & Actors & { unlockAccount?: boolean };

function requestOf(row: Row): WritebackRequest {
  return {
    kind: row.kind,
    channel: row.channel,
    initiator: { id: row.initiator, isAdministrator: row.initiatorIsAdmin },
    target: { userPrincipalName: row.target, isAdministrator: row.targetIsAdmin },
    options: { forceChangeAtNextLogon: false, unlockAccount: row.unlockAccount ?? false },
  };
}

const endUser: Actors = { initiator: USER, initiatorIsAdmin: false, target: USER, targetIsAdmin: false };
const adminSelf: Actors = { initiator: ADMIN, initiatorIsAdmin: true, target: ADMIN, targetIsAdmin: true };
const adminOnUser: Actors = { initiator: ADMIN, initiatorIsAdmin: true, target: USER, targetIsAdmin: false };
const adminOnAdmin: Actors = { initiator: ADMIN, initiatorIsAdmin: true, target: OTHER_ADMIN, targetIsAdmin: true };
const userOnOther: Actors = { initiator: USER, initiatorIsAdmin: false, target: OTHER_USER, targetIsAdmin: false };

const domainWith = (changes: Partial<DomainPolicySnapshot>): DomainPolicySnapshot => ({ ...CORP, ...changes });
const overrides = (policy: Partial<DomainPolicySnapshot['policy']>): DomainPolicySnapshot =>
  domainWith({ policy: { ...CORP.policy, ...policy } });

const approvedBy = (ruleId: PolicyRuleId) => ({ approved: true, ruleId });
const refusedWith = (reason: Reason, ruleId: PolicyRuleId | null) => ({ approved: false, reason, ruleId });

/**
 * The seed's "Supported operations" table, plus the two operations its validation scenarios
 * add (the Frontline worker portal and self-service account unlock).
 */
const supported: Array<[string, Row, PolicyRuleId]> = [
  [
    'end user: self-service voluntary change',
    { ...endUser, kind: 'change', channel: 'change-password-page' },
    'end-user-self-service-change',
  ],
  [
    'end user: self-service voluntary change from the SSPR portal',
    { ...endUser, kind: 'change', channel: 'sspr-portal' },
    'end-user-self-service-change',
  ],
  [
    'end user: self-service forced change (expired password)',
    { ...endUser, kind: 'forced-change', channel: 'change-password-page' },
    'end-user-self-service-forced-change',
  ],
  [
    'end user: self-service password reset from the SSPR page',
    { ...endUser, kind: 'self-service-reset', channel: 'sspr-portal' },
    'end-user-self-service-reset',
  ],
  [
    'administrator: self-service voluntary change',
    { ...adminSelf, kind: 'change', channel: 'change-password-page' },
    'administrator-self-service-change',
  ],
  [
    'administrator: self-service forced change (expired password)',
    { ...adminSelf, kind: 'forced-change', channel: 'change-password-page' },
    'administrator-self-service-forced-change',
  ],
  [
    'administrator: self-service password reset from the SSPR page',
    { ...adminSelf, kind: 'self-service-reset', channel: 'sspr-portal' },
    'administrator-self-service-reset',
  ],
  [
    'administrator resets an end user from the Microsoft Entra admin center',
    { ...adminOnUser, kind: 'admin-reset', channel: 'admin-center' },
    'admin-reset-from-admin-center',
  ],
  [
    'administrator resets an end user from the Microsoft Graph API',
    { ...adminOnUser, kind: 'admin-reset', channel: 'graph-api' },
    'admin-reset-via-graph-api',
  ],
  [
    'validation: administrator resets an end user from the Frontline worker portal',
    { ...adminOnUser, kind: 'admin-reset', channel: 'frontline-portal' },
    'admin-reset-from-frontline-portal',
  ],
  [
    'validation: end user unlocks their account in the SSPR portal',
    { ...endUser, kind: 'unlock', channel: 'sspr-portal' },
    'self-service-unlock',
  ],
  [
    'validation: administrator unlocks their own account in the SSPR portal',
    { ...adminSelf, kind: 'unlock', channel: 'sspr-portal' },
    'self-service-unlock',
  ],
];

/** The seed's "Unsupported operations" table: one entry per row, each with its own code. */
const seedUnsupportedRows: Array<[string, Reason]> = [
  ['Any end user resetting their own password by using PowerShell cmdlets', Reasons.SELF_RESET_VIA_POWERSHELL],
  ['Any end user resetting their own password by using the Microsoft Graph API', Reasons.SELF_RESET_VIA_GRAPH_API],
  [
    'Any administrator-initiated end-user password reset by using PowerShell cmdlets',
    Reasons.ADMIN_RESET_VIA_POWERSHELL,
  ],
  [
    'Any administrator-initiated end-user password reset from the Microsoft 365 admin center',
    Reasons.RESET_VIA_M365_ADMIN_CENTER,
  ],
  ["Any administrator can't use password reset tool to reset their own password", Reasons.ADMIN_RESET_OF_OWN_PASSWORD],
  ["[can't use password reset tool to reset] any other Administrator", Reasons.ADMIN_RESET_OF_ADMINISTRATOR],
];

/** Each unsupported row with every channel it names, and how Writeback reads its edges. */
const unsupported: Array<[string, Row, Reason, PolicyRuleId]> = [
  [
    'end user resets their own password with PowerShell',
    { ...endUser, kind: 'self-service-reset', channel: 'powershell' },
    Reasons.SELF_RESET_VIA_POWERSHELL,
    'self-reset-via-powershell',
  ],
  [
    'end user changes their own password with PowerShell',
    { ...endUser, kind: 'change', channel: 'powershell' },
    Reasons.SELF_RESET_VIA_POWERSHELL,
    'self-reset-via-powershell',
  ],
  [
    'end user changes their expired password with PowerShell',
    { ...endUser, kind: 'forced-change', channel: 'powershell' },
    Reasons.SELF_RESET_VIA_POWERSHELL,
    'self-reset-via-powershell',
  ],
  [
    'administrator changes their own password with PowerShell',
    { ...adminSelf, kind: 'change', channel: 'powershell' },
    Reasons.SELF_RESET_VIA_POWERSHELL,
    'self-reset-via-powershell',
  ],
  [
    'end user resets their own password with the Microsoft Graph API',
    { ...endUser, kind: 'self-service-reset', channel: 'graph-api' },
    Reasons.SELF_RESET_VIA_GRAPH_API,
    'self-reset-via-graph-api',
  ],
  [
    'end user changes their own password with the Microsoft Graph API',
    { ...endUser, kind: 'change', channel: 'graph-api' },
    Reasons.SELF_RESET_VIA_GRAPH_API,
    'self-reset-via-graph-api',
  ],
  [
    'administrator resets their own password through SSPR, but with the Microsoft Graph API',
    { ...adminSelf, kind: 'self-service-reset', channel: 'graph-api' },
    Reasons.SELF_RESET_VIA_GRAPH_API,
    'self-reset-via-graph-api',
  ],
  [
    'administrator resets an end user with PowerShell',
    { ...adminOnUser, kind: 'admin-reset', channel: 'powershell' },
    Reasons.ADMIN_RESET_VIA_POWERSHELL,
    'admin-reset-via-powershell',
  ],
  [
    'administrator resets an end user from the Microsoft 365 admin center',
    { ...adminOnUser, kind: 'admin-reset', channel: 'm365-admin-center' },
    Reasons.RESET_VIA_M365_ADMIN_CENTER,
    'reset-via-m365-admin-center',
  ],
  [
    'administrator resets their own password with the reset tool (admin center)',
    { ...adminSelf, kind: 'admin-reset', channel: 'admin-center' },
    Reasons.ADMIN_RESET_OF_OWN_PASSWORD,
    'admin-reset-of-own-password',
  ],
  [
    'administrator resets their own password with the reset tool (Graph API)',
    { ...adminSelf, kind: 'admin-reset', channel: 'graph-api' },
    Reasons.ADMIN_RESET_OF_OWN_PASSWORD,
    'admin-reset-of-own-password',
  ],
  [
    'administrator resets their own password with the reset tool (PowerShell)',
    { ...adminSelf, kind: 'admin-reset', channel: 'powershell' },
    Reasons.ADMIN_RESET_OF_OWN_PASSWORD,
    'admin-reset-of-own-password',
  ],
  [
    // A UPN is case-insensitive: this is still the administrator's own password, even when the
    // caller left `target.isAdministrator` at its default (false).
    'administrator resets their own password, UPN spelled in another case',
    {
      ...adminOnUser,
      initiator: ' Admin@Corp.Example.Test ',
      target: ADMIN,
      kind: 'admin-reset',
      channel: 'admin-center',
    },
    Reasons.ADMIN_RESET_OF_OWN_PASSWORD,
    'admin-reset-of-own-password',
  ],
  [
    'a non-administrator uses the administrator reset on their own account',
    { ...endUser, kind: 'admin-reset', channel: 'admin-center' },
    Reasons.ADMIN_RESET_OF_OWN_PASSWORD,
    'admin-reset-of-own-password',
  ],
  [
    'administrator resets another administrator (admin center)',
    { ...adminOnAdmin, kind: 'admin-reset', channel: 'admin-center' },
    Reasons.ADMIN_RESET_OF_ADMINISTRATOR,
    'admin-reset-of-administrator',
  ],
  [
    'administrator resets another administrator (Graph API)',
    { ...adminOnAdmin, kind: 'admin-reset', channel: 'graph-api' },
    Reasons.ADMIN_RESET_OF_ADMINISTRATOR,
    'admin-reset-of-administrator',
  ],
  [
    'administrator resets another administrator (Frontline worker portal)',
    { ...adminOnAdmin, kind: 'admin-reset', channel: 'frontline-portal' },
    Reasons.ADMIN_RESET_OF_ADMINISTRATOR,
    'admin-reset-of-administrator',
  ],
  [
    'administrator resets another administrator (PowerShell)',
    { ...adminOnAdmin, kind: 'admin-reset', channel: 'powershell' },
    Reasons.ADMIN_RESET_OF_ADMINISTRATOR,
    'admin-reset-of-administrator',
  ],
  [
    'a non-administrator uses the administrator reset on another user',
    { ...userOnOther, kind: 'admin-reset', channel: 'admin-center' },
    Reasons.INITIATOR_NOT_ADMINISTRATOR,
    'non-administrator-on-other-user',
  ],
  [
    "a non-administrator changes another user's password",
    { ...userOnOther, kind: 'change', channel: 'change-password-page' },
    Reasons.INITIATOR_NOT_ADMINISTRATOR,
    'non-administrator-on-other-user',
  ],
  [
    "a non-administrator unlocks another user's account",
    { ...userOnOther, kind: 'unlock', channel: 'sspr-portal' },
    Reasons.INITIATOR_NOT_ADMINISTRATOR,
    'non-administrator-on-other-user',
  ],
];

/** Requests that no rule describes: refused by default, with no rule to override. */
const unmatched: Array<[string, Row]> = [
  ['an end user changes their password from the admin center', { ...endUser, kind: 'change', channel: 'admin-center' }],
  [
    'an administrator changes their own password from the Microsoft 365 admin center',
    { ...adminSelf, kind: 'change', channel: 'm365-admin-center' },
  ],
  [
    'a self-service reset from the change-password page',
    { ...endUser, kind: 'self-service-reset', channel: 'change-password-page' },
  ],
  ['an unlock through PowerShell', { ...endUser, kind: 'unlock', channel: 'powershell' }],
  ['an administrator unlocks an end user', { ...adminOnUser, kind: 'unlock', channel: 'admin-center' }],
  ['an administrator reset from the SSPR portal', { ...adminOnUser, kind: 'admin-reset', channel: 'sspr-portal' }],
  ['a self-service reset naming someone else', { ...adminOnUser, kind: 'self-service-reset', channel: 'sspr-portal' }],
];

describe('decidePolicy: the seed operation matrix', () => {
  it.each(supported)('writes back: %s', (_row, row, ruleId) => {
    expect(decidePolicy(requestOf(row), 'resolved', CORP)).toEqual(approvedBy(ruleId));
  });

  it.each(unsupported)('refuses: %s', (_row, row, reason, ruleId) => {
    expect(decidePolicy(requestOf(row), 'resolved', CORP)).toEqual(refusedWith(reason, ruleId));
  });

  it.each(unmatched)('refuses what no rule describes: %s', (_row, row) => {
    expect(decidePolicy(requestOf(row), 'resolved', CORP)).toEqual(refusedWith(Reasons.OPERATION_UNSUPPORTED, null));
    expect(Reasons.OPERATION_UNSUPPORTED.code).toBe('POLICY.OPERATION_UNSUPPORTED');
  });

  it('gives every row of the seed unsupported table its own code', () => {
    const codes = seedUnsupportedRows.map(([, reason]) => reason.code);
    expect(new Set(codes).size).toBe(seedUnsupportedRows.length);
    expect(codes).not.toContain(Reasons.OPERATION_UNSUPPORTED.code);
    for (const code of codes) expect(code).toMatch(/^POLICY\.[A-Z0-9_]+$/);
    // Every seed row is exercised by at least one request above.
    const exercised = new Set(unsupported.map(([, , reason]) => reason.code));
    for (const code of codes) expect(exercised).toContain(code);
  });
});

describe('POLICY_MATRIX', () => {
  const ids = POLICY_MATRIX.rules.map((rule) => rule.id);

  it('names every rule with a unique, kebab-case id', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('refuses with a code of its own per refusal rule, never a generic one', () => {
    const codes = POLICY_MATRIX.rules.flatMap((rule) =>
      rule.effect.type === 'refuse' ? [rule.effect.reason.code] : [],
    );
    expect(new Set(codes).size).toBe(codes.length);
    for (const generic of [Reasons.OPERATION_UNSUPPORTED, Reasons.DISABLED_FOR_DOMAIN, Reasons.UNLOCK_NOT_ALLOWED]) {
      expect(codes).not.toContain(generic.code);
    }
  });

  it('quotes its source in every description', () => {
    for (const rule of POLICY_MATRIX.rules) expect(rule.description).toMatch(/"[^"]+"/);
  });

  it('is versioned, and approvals record that version', () => {
    expect(POLICY_VERSION).toBe(POLICY_MATRIX.version);
    expect(POLICY_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
  });

  // Every request shape: each kind, each channel, each actor relation (and both initiator
  // roles for "self").
  const actors: Actors[] = [endUser, adminSelf, adminOnUser, adminOnAdmin, userOnOther];
  const everyRequest = OperationKind.options.flatMap((kind) =>
    Channel.options.flatMap((channel) => actors.map((a) => requestOf({ ...a, kind, channel }))),
  );

  it('has pairwise disjoint rules, so an override changes exactly what its rule describes', () => {
    const overlaps = everyRequest
      .map((request) => ({
        request,
        rules: POLICY_MATRIX.rules.filter((rule) => ruleMatches(rule, request)).map((rule) => rule.id),
      }))
      .filter(({ rules }) => rules.length > 1);
    expect(overlaps).toEqual([]);
  });

  it('has no dead rule', () => {
    const used = new Set(everyRequest.map((request) => findPolicyRule(request)?.id));
    for (const id of ids) expect(used).toContain(id);
  });

  it('renders one Markdown table row per rule, in order', () => {
    const markdown = renderPolicyMatrixMarkdown();
    const rows = markdown.split('\n').filter((line) => /^\| \d+ \|/.test(line));
    expect(rows).toHaveLength(POLICY_MATRIX.rules.length);
    rows.forEach((row, index) => expect(row).toContain(`| ${index + 1} | \`${ids[index]}\` |`));
    expect(markdown).toContain(POLICY_MATRIX.version);
    expect(markdown).toContain('refuse `POLICY.ADMIN_RESET_VIA_POWERSHELL`');
  });
});

describe('actorRelation', () => {
  it.each<[string, Actors, ActorRelation]>([
    ['an end user on themselves', endUser, 'self'],
    ['an administrator on themselves', adminSelf, 'self'],
    ['an administrator on an end user', adminOnUser, 'administrator-on-user'],
    ['an administrator on another administrator', adminOnAdmin, 'administrator-on-administrator'],
    ['a non-administrator on someone else', userOnOther, 'user-on-other'],
    ['a non-administrator on an administrator', { ...userOnOther, targetIsAdmin: true }, 'user-on-other'],
    [
      'the same UPN in another case and with spaces around it',
      { ...adminOnAdmin, initiator: '  ADMIN@corp.EXAMPLE.test', target: ADMIN },
      'self',
    ],
  ])('derives %s', (_case, actors, relation) => {
    expect(actorRelation(requestOf({ ...actors, kind: 'change', channel: 'change-password-page' }))).toBe(relation);
  });
});

describe('decidePolicy: routing and domain switches come before the matrix', () => {
  const supportedRequest = requestOf(supported[0]![1]);

  it.each([
    ['an ambiguous suffix', 'ambiguous', CORP, Reasons.TARGET_MULTIPLE_DOMAINS],
    ['no matching suffix', 'no-match', null, Reasons.TARGET_NO_MATCHING_DOMAIN],
    ['no matching suffix, even if a snapshot is passed', 'no-match', CORP, Reasons.TARGET_NO_MATCHING_DOMAIN],
    ['a domain removed since routing', 'resolved', null, Reasons.TARGET_NO_MATCHING_DOMAIN],
    [
      'a domain with writeback disabled',
      'resolved',
      domainWith({ writebackEnabled: false }),
      Reasons.DOMAIN_WRITEBACK_DISABLED,
    ],
    ['a domain another engine owns', 'resolved', domainWith({ engineOwnsDomain: false }), Reasons.DOMAIN_NOT_OWNED],
  ] as const)('refuses %s, naming no rule', (_case, routing, domain, reason) => {
    expect(decidePolicy(supportedRequest, routing, domain)).toEqual(refusedWith(reason, null));
  });

  it('checks the switches before the matrix: an unsupported request in a disabled domain is "disabled"', () => {
    const powershell = requestOf({ ...adminOnUser, kind: 'admin-reset', channel: 'powershell' });
    expect(decidePolicy(powershell, 'resolved', domainWith({ writebackEnabled: false }))).toEqual(
      refusedWith(Reasons.DOMAIN_WRITEBACK_DISABLED, null),
    );
  });

  it('takes a DomainConfig from contracts as it is: writeback off unless enabled', () => {
    const added = DomainConfig.parse(ADDED_DOMAIN);
    expect(decidePolicy(supportedRequest, 'resolved', added)).toEqual(
      refusedWith(Reasons.DOMAIN_WRITEBACK_DISABLED, null),
    );
    expect(decidePolicy(supportedRequest, 'resolved', { ...added, writebackEnabled: true })).toEqual(
      approvedBy('end-user-self-service-change'),
    );
  });
});

describe('decidePolicy: every combination of the three domain switches', () => {
  const reset = requestOf({ ...endUser, kind: 'self-service-reset', channel: 'sspr-portal' });
  const unlock = requestOf({ ...endUser, kind: 'unlock', channel: 'sspr-portal' });
  const ok = (ruleId: PolicyRuleId) => approvedBy(ruleId);
  const no = (reason: Reason) => refusedWith(reason, null);
  const RESET = 'end-user-self-service-reset';
  const UNLOCK = 'self-service-unlock';

  it.each([
    // writebackEnabled, engineOwnsDomain, allowUnlockWithoutReset -> the reset, the unlock
    [true, true, true, ok(RESET), ok(UNLOCK)],
    [true, true, false, ok(RESET), no(Reasons.UNLOCK_NOT_ALLOWED)],
    [true, false, true, no(Reasons.DOMAIN_NOT_OWNED), no(Reasons.DOMAIN_NOT_OWNED)],
    [true, false, false, no(Reasons.DOMAIN_NOT_OWNED), no(Reasons.DOMAIN_NOT_OWNED)],
    [false, true, true, no(Reasons.DOMAIN_WRITEBACK_DISABLED), no(Reasons.DOMAIN_WRITEBACK_DISABLED)],
    [false, true, false, no(Reasons.DOMAIN_WRITEBACK_DISABLED), no(Reasons.DOMAIN_WRITEBACK_DISABLED)],
    [false, false, true, no(Reasons.DOMAIN_WRITEBACK_DISABLED), no(Reasons.DOMAIN_WRITEBACK_DISABLED)],
    [false, false, false, no(Reasons.DOMAIN_WRITEBACK_DISABLED), no(Reasons.DOMAIN_WRITEBACK_DISABLED)],
  ])(
    'writebackEnabled=%s engineOwnsDomain=%s allowUnlockWithoutReset=%s',
    (writebackEnabled, engineOwnsDomain, allowUnlockWithoutReset, resetDecision, unlockDecision) => {
      const domain = domainWith({ writebackEnabled, engineOwnsDomain, allowUnlockWithoutReset });
      expect(decidePolicy(reset, 'resolved', domain)).toEqual(resetDecision);
      expect(decidePolicy(unlock, 'resolved', domain)).toEqual(unlockDecision);
    },
  );
});

describe('decidePolicy: unlock without reset', () => {
  const locked = domainWith({ allowUnlockWithoutReset: false });

  it.each<[string, Row, PolicyRuleId]>([
    [
      'a self-service reset that also unlocks',
      { ...endUser, kind: 'self-service-reset', channel: 'sspr-portal', unlockAccount: true },
      'end-user-self-service-reset',
    ],
    [
      'an administrator reset that also unlocks',
      { ...adminOnUser, kind: 'admin-reset', channel: 'admin-center', unlockAccount: true },
      'admin-reset-from-admin-center',
    ],
    [
      'a forced change that also unlocks',
      { ...endUser, kind: 'forced-change', channel: 'change-password-page', unlockAccount: true },
      'end-user-self-service-forced-change',
    ],
  ])('writes back %s even when unlocking without a reset is off: a password is set', (_case, row, ruleId) => {
    expect(decidePolicy(requestOf(row), 'resolved', locked)).toEqual(approvedBy(ruleId));
  });

  it('refuses an unlock the matrix refuses for the matrix reason, before the switch', () => {
    const viaPowerShell = requestOf({ ...endUser, kind: 'unlock', channel: 'powershell' });
    expect(decidePolicy(viaPowerShell, 'resolved', locked)).toEqual(refusedWith(Reasons.OPERATION_UNSUPPORTED, null));
  });

  it('refuses an unlock the domain narrowed away as disabled, whatever the switch says', () => {
    const unlock = requestOf({ ...endUser, kind: 'unlock', channel: 'sspr-portal' });
    const domain = overrides({ refuse: ['self-service-unlock'] });
    expect(decidePolicy(unlock, 'resolved', domain)).toEqual(
      refusedWith(Reasons.DISABLED_FOR_DOMAIN, 'self-service-unlock'),
    );
  });
});

describe('decidePolicy: per-domain overrides', () => {
  const endUserReset = requestOf({ ...endUser, kind: 'self-service-reset', channel: 'sspr-portal' });
  const adminReset = requestOf({ ...adminSelf, kind: 'self-service-reset', channel: 'sspr-portal' });
  const viaPowerShell = requestOf({ ...adminOnUser, kind: 'admin-reset', channel: 'powershell' });
  const ofAdministrator = requestOf({ ...adminOnAdmin, kind: 'admin-reset', channel: 'powershell' });

  describe('narrowing (policy.refuse)', () => {
    it('given a domain refusing an allow rule, when that request comes, then it is disabled for the domain', () => {
      const domain = overrides({ refuse: ['end-user-self-service-reset'] });
      expect(decidePolicy(endUserReset, 'resolved', domain)).toEqual(
        refusedWith(Reasons.DISABLED_FOR_DOMAIN, 'end-user-self-service-reset'),
      );
    });

    it('given a domain refusing one rule, when another rule matches, then that one still decides', () => {
      const domain = overrides({ refuse: ['end-user-self-service-reset'] });
      expect(decidePolicy(adminReset, 'resolved', domain)).toEqual(approvedBy('administrator-self-service-reset'));
    });

    it('given a refuse naming a refusal rule, then nothing changes', () => {
      const domain = overrides({ refuse: ['admin-reset-via-powershell'] });
      expect(decidePolicy(viaPowerShell, 'resolved', domain)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_VIA_POWERSHELL, 'admin-reset-via-powershell'),
      );
    });

    it('given a rule both refused and allowed, then refusing wins', () => {
      const domain = overrides({
        refuse: ['end-user-self-service-reset'],
        allow: ['end-user-self-service-reset'],
        allowWidening: true,
      });
      expect(decidePolicy(endUserReset, 'resolved', domain)).toEqual(
        refusedWith(Reasons.DISABLED_FOR_DOMAIN, 'end-user-self-service-reset'),
      );
    });

    it('ignores unknown rule ids', () => {
      const domain = overrides({ refuse: ['no-such-rule'], allow: ['no-such-rule'], allowWidening: true });
      expect(decidePolicy(endUserReset, 'resolved', domain)).toEqual(approvedBy('end-user-self-service-reset'));
    });
  });

  describe('widening (policy.allow)', () => {
    it('given an allow without allowWidening, then it is ignored: fail closed', () => {
      const domain = overrides({ allow: ['admin-reset-via-powershell'], allowWidening: false });
      expect(decidePolicy(viaPowerShell, 'resolved', domain)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_VIA_POWERSHELL, 'admin-reset-via-powershell'),
      );
    });

    it('given an allow with allowWidening, then that refusal rule allows, and the approval names it', () => {
      const domain = overrides({ allow: ['admin-reset-via-powershell'], allowWidening: true });
      expect(decidePolicy(viaPowerShell, 'resolved', domain)).toEqual(approvedBy('admin-reset-via-powershell'));
    });

    it('given a widening, then it covers only its own rule', () => {
      const domain = overrides({ allow: ['admin-reset-via-powershell'], allowWidening: true });
      expect(decidePolicy(ofAdministrator, 'resolved', domain)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_OF_ADMINISTRATOR, 'admin-reset-of-administrator'),
      );
    });

    it('given allowWidening alone, then nothing widens', () => {
      const domain = overrides({ allowWidening: true });
      expect(decidePolicy(viaPowerShell, 'resolved', domain)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_VIA_POWERSHELL, 'admin-reset-via-powershell'),
      );
    });

    it('cannot widen what no rule describes', () => {
      const domain = overrides({
        allow: ['self-service-unlock', 'non-administrator-on-other-user'],
        allowWidening: true,
      });
      const unlockViaPowerShell = requestOf({ ...endUser, kind: 'unlock', channel: 'powershell' });
      expect(decidePolicy(unlockViaPowerShell, 'resolved', domain)).toEqual(
        refusedWith(Reasons.OPERATION_UNSUPPORTED, null),
      );
    });

    it('never overrides the domain switches', () => {
      const policy = { refuse: [], allow: ['admin-reset-via-powershell'], allowWidening: true };
      expect(decidePolicy(viaPowerShell, 'resolved', domainWith({ policy, writebackEnabled: false }))).toEqual(
        refusedWith(Reasons.DOMAIN_WRITEBACK_DISABLED, null),
      );
      expect(decidePolicy(viaPowerShell, 'resolved', domainWith({ policy, engineOwnsDomain: false }))).toEqual(
        refusedWith(Reasons.DOMAIN_NOT_OWNED, null),
      );
    });
  });
});

describe('decidePolicy: SCIM pushes (step 3b, ADR 0023)', () => {
  const scimChange = requestOf({ ...endUser, kind: 'change', channel: 'scim' });
  const scimReset = requestOf({ ...adminOnUser, kind: 'admin-reset', channel: 'scim' });
  const pushing = (scimPush: DomainPolicySnapshot['scimPush']) => domainWith({ scimPush });
  const DISABLED = refusedWith(Reasons.SCIM_PUSH_DISABLED, null);

  it.each([
    // scimPush -> the push as a change, the push as a reset
    ['off', DISABLED, DISABLED],
    ['change', approvedBy('scim-push-change'), DISABLED],
    ['admin-reset', DISABLED, approvedBy('scim-push-admin-reset')],
  ] as const)(
    'given scimPush=%s, then a change and a reset on channel scim are decided so',
    (scimPush, change, reset) => {
      expect(decidePolicy(scimChange, 'resolved', pushing(scimPush))).toEqual(change);
      expect(decidePolicy(scimReset, 'resolved', pushing(scimPush))).toEqual(reset);
    },
  );

  it.each(['off', 'change', 'admin-reset'] as const)(
    'given scimPush=%s, then a kind no push can be (unlock, forced change, self-service reset) is refused by the switch',
    (scimPush) => {
      for (const kind of ['unlock', 'forced-change', 'self-service-reset'] as const) {
        expect(decidePolicy(requestOf({ ...endUser, kind, channel: 'scim' }), 'resolved', pushing(scimPush))).toEqual(
          DISABLED,
        );
      }
    },
  );

  it('given a DomainConfig from contracts, then pushes are off by default', () => {
    const added = DomainConfig.parse({ ...ADDED_DOMAIN, writebackEnabled: true });
    expect(added.scimPush).toBe('off');
    expect(decidePolicy(scimReset, 'resolved', added)).toEqual(DISABLED);
  });

  it('never concerns another channel: scimPush=off leaves every other channel to the matrix', () => {
    for (const row of supported) {
      expect(decidePolicy(requestOf(row[1]), 'resolved', pushing('off'))).toEqual(approvedBy(row[2]));
    }
  });

  it('comes after routing, writebackEnabled and engineOwnsDomain', () => {
    const on = pushing('change');
    expect(decidePolicy(scimReset, 'ambiguous', on)).toEqual(refusedWith(Reasons.TARGET_MULTIPLE_DOMAINS, null));
    expect(decidePolicy(scimReset, 'no-match', null)).toEqual(refusedWith(Reasons.TARGET_NO_MATCHING_DOMAIN, null));
    expect(decidePolicy(scimReset, 'resolved', { ...on, writebackEnabled: false })).toEqual(
      refusedWith(Reasons.DOMAIN_WRITEBACK_DISABLED, null),
    );
    expect(decidePolicy(scimReset, 'resolved', { ...on, engineOwnsDomain: false })).toEqual(
      refusedWith(Reasons.DOMAIN_NOT_OWNED, null),
    );
  });

  it('comes before the matrix: a push of the wrong kind names no rule, even one that would refuse', () => {
    const ofAdministrator = requestOf({ ...adminOnAdmin, kind: 'admin-reset', channel: 'scim' });
    expect(decidePolicy(ofAdministrator, 'resolved', pushing('change'))).toEqual(DISABLED);
    expect(decidePolicy(ofAdministrator, 'resolved', pushing('off'))).toEqual(DISABLED);
  });

  describe('given scimPush=admin-reset, rules 11 and 12 still refuse on channel scim', () => {
    const resets = pushing('admin-reset');

    it("refuses a reset of the initiator's own account (rule 11)", () => {
      const own = requestOf({ ...adminSelf, kind: 'admin-reset', channel: 'scim' });
      expect(decidePolicy(own, 'resolved', resets)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_OF_OWN_PASSWORD, 'admin-reset-of-own-password'),
      );
    });

    it('refuses a reset of an administrator (rule 12)', () => {
      const ofAdministrator = requestOf({ ...adminOnAdmin, kind: 'admin-reset', channel: 'scim' });
      expect(decidePolicy(ofAdministrator, 'resolved', resets)).toEqual(
        refusedWith(Reasons.ADMIN_RESET_OF_ADMINISTRATOR, 'admin-reset-of-administrator'),
      );
    });

    it('refuses a reset of another user by a non-administrator (rule 13)', () => {
      const byUser = requestOf({ ...userOnOther, kind: 'admin-reset', channel: 'scim' });
      expect(decidePolicy(byUser, 'resolved', resets)).toEqual(
        refusedWith(Reasons.INITIATOR_NOT_ADMINISTRATOR, 'non-administrator-on-other-user'),
      );
    });

    it('leaves those refusals to the matrix: a widening can name them, as on any channel', () => {
      const ofAdministrator = requestOf({ ...adminOnAdmin, kind: 'admin-reset', channel: 'scim' });
      const widened = domainWith({
        scimPush: 'admin-reset',
        policy: { refuse: [], allow: ['admin-reset-of-administrator'], allowWidening: true },
      });
      expect(decidePolicy(ofAdministrator, 'resolved', widened)).toEqual(approvedBy('admin-reset-of-administrator'));
    });
  });

  it("given scimPush=change, then a change someone else pushes for the user is still the matrix's to refuse", () => {
    const forOther = requestOf({ ...userOnOther, kind: 'change', channel: 'scim' });
    expect(decidePolicy(forOther, 'resolved', pushing('change'))).toEqual(
      refusedWith(Reasons.INITIATOR_NOT_ADMINISTRATOR, 'non-administrator-on-other-user'),
    );
    const byAdministrator = requestOf({ ...adminOnUser, kind: 'change', channel: 'scim' });
    expect(decidePolicy(byAdministrator, 'resolved', pushing('change'))).toEqual(
      refusedWith(Reasons.OPERATION_UNSUPPORTED, null),
    );
  });

  it.each([
    ['change', scimChange, 'scim-push-change'],
    ['admin-reset', scimReset, 'scim-push-admin-reset'],
  ] as const)(
    'given scimPush=%s and policy.refuse naming its rule, then the push is disabled for the domain',
    (scimPush, request, ruleId) => {
      const domain = domainWith({ scimPush, policy: { refuse: [ruleId], allow: [], allowWidening: false } });
      expect(decidePolicy(request, 'resolved', domain)).toEqual(refusedWith(Reasons.DISABLED_FOR_DOMAIN, ruleId));
    },
  );

  it('accepts policy.refuse naming either SCIM rule, and refuses to widen with them', () => {
    const none = { refuse: [], allow: [], allowWidening: false };
    expect(validatePolicyOverrides({ ...none, refuse: ['scim-push-change', 'scim-push-admin-reset'] })).toEqual([]);
    expect(validatePolicyOverrides({ ...none, allow: ['scim-push-change'], allowWidening: true })).toEqual([
      expect.stringMatching(/policy\.allow: rule "scim-push-change" already allows/),
    ]);
  });

  it('matches only channel scim: the same operations elsewhere are not SCIM pushes', () => {
    const scimRules = POLICY_MATRIX.rules.filter((rule) => rule.id.startsWith('scim-push-'));
    expect(scimRules.map((rule) => rule.id)).toEqual(['scim-push-change', 'scim-push-admin-reset']);
    for (const rule of scimRules) expect(rule.match.channels).toEqual(['scim']);
    for (const channel of Channel.options.filter((c) => c !== 'scim')) {
      expect(findPolicyRule({ ...scimChange, channel })?.id).not.toBe('scim-push-change');
      expect(findPolicyRule({ ...scimReset, channel })?.id).not.toBe('scim-push-admin-reset');
    }
  });
});

describe('decidePolicy: the requests scimWritebackRequest builds', () => {
  const alice = { userPrincipalName: USER, objectGuid: '2b2ad8a4-1f0e-4d6c-9a51-0c7f2e4b9d10' };
  const okta = { subject: 'okta-sync', issuer: 'writeback:scim-clients' };

  it.each([
    ['off', refusedWith(Reasons.SCIM_PUSH_DISABLED, null)],
    ['change', approvedBy('scim-push-change')],
    ['admin-reset', approvedBy('scim-push-admin-reset')],
  ] as const)(
    'given scimPush=%s, when the push is built and decided on the same switch, then %j',
    (scimPush, decision) => {
      const domain = domainWith({ scimPush });
      expect(decidePolicy(scimWritebackRequest(alice, scimPush, okta), 'resolved', domain)).toEqual(decision);
    },
  );

  it('given the switch changed after the push was built, then the policy refuses it', () => {
    const asChange = scimWritebackRequest(alice, 'change', okta);
    expect(decidePolicy(asChange, 'resolved', domainWith({ scimPush: 'admin-reset' }))).toEqual(
      refusedWith(Reasons.SCIM_PUSH_DISABLED, null),
    );
  });
});

describe('validatePolicyOverrides', () => {
  const none = { refuse: [], allow: [], allowWidening: false };

  it.each([
    ['no overrides', none],
    [
      'narrowing by allow rules',
      { ...none, refuse: ['administrator-self-service-reset', 'admin-reset-via-graph-api'] },
    ],
    ['a deliberate widening', { ...none, allow: ['admin-reset-via-powershell'], allowWidening: true }],
    ['allowWidening with nothing to widen', { ...none, allowWidening: true }],
  ])('accepts %s', (_case, policy) => {
    expect(validatePolicyOverrides(policy)).toEqual([]);
  });

  it.each([
    ['an unknown rule in refuse', { ...none, refuse: ['no-such-rule'] }, /policy\.refuse: unknown rule "no-such-rule"/],
    [
      'an unknown rule in allow',
      { ...none, allow: ['no-such-rule'], allowWidening: true },
      /policy\.allow: unknown rule "no-such-rule"/,
    ],
    [
      'a refuse naming a refusal rule',
      { ...none, refuse: ['admin-reset-via-powershell'] },
      /policy\.refuse: rule "admin-reset-via-powershell" already refuses/,
    ],
    [
      'an allow naming an allow rule',
      { ...none, allow: ['admin-reset-from-admin-center'], allowWidening: true },
      /policy\.allow: rule "admin-reset-from-admin-center" already allows/,
    ],
    [
      'an allow without allowWidening',
      { ...none, allow: ['admin-reset-via-powershell'] },
      /policy\.allow: allowing "admin-reset-via-powershell" .* set policy\.allowWidening to true/,
    ],
  ])('reports %s', (_case, policy, problem) => {
    const problems = validatePolicyOverrides(policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('reports every problem at once, refuse first', () => {
    expect(
      validatePolicyOverrides({
        refuse: ['nope', 'reset-via-m365-admin-center'],
        allow: ['self-service-unlock', 'admin-reset-via-powershell', 'nope'],
        allowWidening: false,
      }),
    ).toHaveLength(5);
  });
});
