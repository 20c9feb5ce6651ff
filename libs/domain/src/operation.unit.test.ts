/* eslint jest/expect-expect: ['warn', { assertFunctionNames: ['expect', 'given.**.then', 'given.**.thenThrows'] }] */
import type { Caller, Reason, WritebackEvent, WritebackRequest } from '@writeback/contracts';
import {
  decide,
  evolve,
  initialState,
  OperationConflict,
  replay,
  type OperationCommand,
  type OperationState,
} from './operation';
import { POLICY_VERSION, type DomainPolicySnapshot, type Routing } from './policy';
import { Reasons } from './reasons';

const OPERATION_ID = '3f6c2b1e-8d4a-4c1f-9b7e-2a5d6c8e9f01';
const UPN = 'alice@corp.example.test';
const REQUESTED_AT = '2026-11-25T10:00:00.000Z';
const NOW = '2026-11-25T10:00:01.000Z';
const LATER = '2026-11-25T10:00:05.000Z';

const CORP: DomainPolicySnapshot = {
  id: 'corp',
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: false,
  scimPush: 'off',
  policy: { refuse: [], allow: [], allowWidening: false },
};
const domainWith = (changes: Partial<DomainPolicySnapshot>): DomainPolicySnapshot => ({ ...CORP, ...changes });

const CALLER: Caller = { subject: 'sspr-frontend', issuer: 'https://login.example.test/' };

const selfServiceReset: WritebackRequest = {
  kind: 'self-service-reset',
  channel: 'sspr-portal',
  initiator: { id: UPN, isAdministrator: false },
  target: { userPrincipalName: UPN, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
};

const resetFromPowerShell: WritebackRequest = {
  kind: 'admin-reset',
  channel: 'powershell',
  initiator: { id: 'admin@corp.example.test', isAdministrator: true },
  target: { userPrincipalName: UPN, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
};

function requestCommand(routing: Routing = 'resolved', domainId: string | null = 'corp'): OperationCommand {
  return {
    type: 'RequestWriteback',
    operationId: OPERATION_ID,
    request: selfServiceReset,
    caller: CALLER,
    routing,
    domainId,
    now: NOW,
  };
}

function decideCommand(domain: DomainPolicySnapshot | null = CORP, now = NOW): OperationCommand {
  return { type: 'DecideWriteback', domain, now };
}

function requested(
  routing: Routing = 'resolved',
  domainId: string | null = 'corp',
  request: WritebackRequest = selfServiceReset,
): WritebackEvent {
  return {
    type: 'PasswordChangeRequested',
    version: 1,
    data: { operationId: OPERATION_ID, request, caller: CALLER, routing, domainId, requestedAt: REQUESTED_AT },
  };
}

const approved: WritebackEvent = {
  type: 'WritebackApproved',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    targetUpn: UPN,
    kind: 'self-service-reset',
    policyVersion: POLICY_VERSION,
    policyRule: 'end-user-self-service-reset',
    approvedAt: NOW,
  },
};

function rejected(
  reason: Reason,
  stage: 'policy' | 'executor' = 'policy',
  domainId: string | null = 'corp',
  policyRule: string | null = null,
): WritebackEvent {
  return {
    type: 'WritebackRejected',
    version: 1,
    data: { operationId: OPERATION_ID, domainId, targetUpn: UPN, stage, reason, policyRule, rejectedAt: NOW },
  };
}

const applied: WritebackEvent = {
  type: 'WritebackApplied',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    targetUpn: UPN,
    domainController: 'dc1.corp.example.test',
    actions: ['password'],
    policyHintsUsed: false,
    appliedAt: LATER,
  },
};

const failed: WritebackEvent = {
  type: 'WritebackFailed',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    targetUpn: UPN,
    reason: Reasons.DC_UNAVAILABLE,
    attempts: 5,
    failedAt: LATER,
  },
};

/** given(history).when(command).then(newEvents): the decider's contract, with no I/O at all. */
function given(history: readonly WritebackEvent[]) {
  return {
    when(command: OperationCommand) {
      const run = (): WritebackEvent[] => decide(command, replay(history));
      return {
        then(expected: readonly WritebackEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(error: new (message: string) => Error): void {
          expect(run).toThrow(error);
        },
      };
    },
  };
}

describe('operation decider', () => {
  describe('RequestWriteback', () => {
    it('records the request with its caller, routing, domain and time', () => {
      given([])
        .when(requestCommand('resolved', 'corp'))
        .then([
          {
            type: 'PasswordChangeRequested',
            version: 1,
            data: {
              operationId: OPERATION_ID,
              request: selfServiceReset,
              caller: CALLER,
              routing: 'resolved',
              domainId: 'corp',
              requestedAt: NOW,
            },
          },
        ]);
    });

    it('records an unroutable request too, so that it can be rejected with a reason', () => {
      given([])
        .when(requestCommand('no-match', null))
        .then([
          {
            type: 'PasswordChangeRequested',
            version: 1,
            data: {
              operationId: OPERATION_ID,
              request: selfServiceReset,
              caller: CALLER,
              routing: 'no-match',
              domainId: null,
              requestedAt: NOW,
            },
          },
        ]);
    });

    it.each<[string, WritebackEvent[]]>([
      ['requested', [requested()]],
      ['approved', [requested(), approved]],
      ['applied', [requested(), approved, applied]],
      ['rejected', [requested(), rejected(Reasons.OPERATION_UNSUPPORTED)]],
    ])('refuses to request an operation that is already %s', (_status, history) => {
      given(history).when(requestCommand()).thenThrows(OperationConflict);
    });
  });

  describe('DecideWriteback', () => {
    it('approves an enabled, resolved, supported request under the current policy version and names the rule', () => {
      given([requested()])
        .when(decideCommand(CORP, NOW))
        .then([
          {
            type: 'WritebackApproved',
            version: 1,
            data: {
              operationId: OPERATION_ID,
              domainId: 'corp',
              targetUpn: UPN,
              kind: 'self-service-reset',
              policyVersion: POLICY_VERSION,
              policyRule: 'end-user-self-service-reset',
              approvedAt: NOW,
            },
          },
        ]);
    });

    it('approves a widened operation and names the refusal rule the domain widened', () => {
      const widened = domainWith({
        policy: { refuse: [], allow: ['admin-reset-via-powershell'], allowWidening: true },
      });
      given([requested('resolved', 'corp', resetFromPowerShell)])
        .when(decideCommand(widened, NOW))
        .then([
          {
            type: 'WritebackApproved',
            version: 1,
            data: {
              operationId: OPERATION_ID,
              domainId: 'corp',
              targetUpn: UPN,
              kind: 'admin-reset',
              policyVersion: POLICY_VERSION,
              policyRule: 'admin-reset-via-powershell',
              approvedAt: NOW,
            },
          },
        ]);
    });

    it.each<[string, WritebackEvent, DomainPolicySnapshot | null, Reason, string, string | null]>([
      [
        'no domain claims the suffix',
        requested('no-match', null),
        null,
        Reasons.TARGET_NO_MATCHING_DOMAIN,
        'TARGET.NO_MATCHING_DOMAIN',
        null,
      ],
      [
        'two domains claim the suffix',
        requested('ambiguous', null),
        null,
        Reasons.TARGET_MULTIPLE_DOMAINS,
        'TARGET.MULTIPLE_MATCHES',
        null,
      ],
      [
        'two domains claim the suffix, even if a snapshot is passed',
        requested('ambiguous', null),
        CORP,
        Reasons.TARGET_MULTIPLE_DOMAINS,
        'TARGET.MULTIPLE_MATCHES',
        null,
      ],
      [
        'writeback is disabled for the domain',
        requested(),
        domainWith({ writebackEnabled: false }),
        Reasons.DOMAIN_WRITEBACK_DISABLED,
        'POLICY.WRITEBACK_DISABLED',
        null,
      ],
      [
        'another engine owns the domain',
        requested(),
        domainWith({ engineOwnsDomain: false }),
        Reasons.DOMAIN_NOT_OWNED,
        'POLICY.DOMAIN_NOT_OWNED',
        null,
      ],
      [
        'the domain was removed after routing',
        requested(),
        null,
        Reasons.TARGET_NO_MATCHING_DOMAIN,
        'TARGET.NO_MATCHING_DOMAIN',
        null,
      ],
      [
        'the matrix refuses the operation',
        requested('resolved', 'corp', resetFromPowerShell),
        CORP,
        Reasons.ADMIN_RESET_VIA_POWERSHELL,
        'POLICY.ADMIN_RESET_VIA_POWERSHELL',
        'admin-reset-via-powershell',
      ],
      [
        'no rule of the matrix describes the operation',
        requested('resolved', 'corp', { ...selfServiceReset, channel: 'change-password-page' }),
        CORP,
        Reasons.OPERATION_UNSUPPORTED,
        'POLICY.OPERATION_UNSUPPORTED',
        null,
      ],
      [
        'the domain refuses the rule that would allow it',
        requested(),
        domainWith({ policy: { refuse: ['end-user-self-service-reset'], allow: [], allowWidening: false } }),
        Reasons.DISABLED_FOR_DOMAIN,
        'POLICY.DISABLED_FOR_DOMAIN',
        'end-user-self-service-reset',
      ],
      [
        'the domain does not allow unlocking without a reset',
        requested('resolved', 'corp', { ...selfServiceReset, kind: 'unlock' }),
        CORP,
        Reasons.UNLOCK_NOT_ALLOWED,
        'POLICY.UNLOCK_NOT_ALLOWED',
        null,
      ],
    ])('rejects at the policy stage when %s', (_case, request, domain, reason, code, policyRule) => {
      expect(reason.code).toBe(code);
      given([request])
        .when(decideCommand(domain, NOW))
        .then([
          {
            type: 'WritebackRejected',
            version: 1,
            data: {
              operationId: OPERATION_ID,
              domainId: request.type === 'PasswordChangeRequested' ? request.data.domainId : null,
              targetUpn: UPN,
              stage: 'policy',
              reason,
              policyRule,
              rejectedAt: NOW,
            },
          },
        ]);
    });

    it.each<[string, WritebackEvent[]]>([
      ['approved', [requested(), approved]],
      ['rejected', [requested(), rejected(Reasons.DOMAIN_WRITEBACK_DISABLED)]],
      ['applied', [requested(), approved, applied]],
      ['failed', [requested(), approved, failed]],
    ])('says nothing new when the decision is redelivered after the operation was %s', (_status, history) => {
      given(history).when(decideCommand(CORP, LATER)).then([]);
    });

    it('does not revisit an approval when the domain was disabled since', () => {
      given([requested(), approved])
        .when(decideCommand(domainWith({ writebackEnabled: false }), LATER))
        .then([]);
    });

    it('has nothing to decide before the operation was requested', () => {
      given([]).when(decideCommand()).then([]);
    });
  });

  describe('ExpireWriteback', () => {
    const expire: OperationCommand = { type: 'ExpireWriteback', now: LATER };
    const expired = (domainId: string | null): WritebackEvent => ({
      type: 'WritebackFailed',
      version: 1,
      data: {
        operationId: OPERATION_ID,
        domainId,
        targetUpn: UPN,
        reason: Reasons.DEADLINE_EXCEEDED,
        attempts: 0,
        failedAt: LATER,
      },
    });

    it('fails an approved operation that no executor took before its deadline', () => {
      given([requested(), approved])
        .when(expire)
        .then([expired('corp')]);
    });

    it('fails a request that was never decided (the gate could not consume it in time)', () => {
      given([requested('no-match', null)])
        .when(expire)
        .then([expired(null)]);
    });

    it.each<[string, WritebackEvent[]]>([
      ['rejected', [requested(), rejected(Reasons.DOMAIN_WRITEBACK_DISABLED)]],
      ['applied', [requested(), approved, applied]],
      ['failed', [requested(), approved, failed]],
    ])('leaves an operation that already ended (%s) as it was', (_status, history) => {
      given(history).when(expire).then([]);
    });

    it('has nothing to expire before the operation was requested', () => {
      given([]).when(expire).then([]);
    });
  });
});

describe('operation evolve', () => {
  const requestedState: OperationState = {
    status: 'requested',
    operationId: OPERATION_ID,
    request: selfServiceReset,
    caller: CALLER,
    routing: 'resolved',
    domainId: 'corp',
    reason: null,
  };

  it('starts from the initial state', () => {
    expect(initialState()).toEqual({ status: 'initial' });
    expect(replay([])).toEqual({ status: 'initial' });
  });

  it('remembers the request', () => {
    expect(evolve(initialState(), requested())).toEqual(requestedState);
  });

  it.each<[string, WritebackEvent[], OperationState]>([
    ['requested -> approved', [requested(), approved], { ...requestedState, status: 'approved' }],
    [
      'requested -> rejected by policy',
      [requested(), rejected(Reasons.DOMAIN_WRITEBACK_DISABLED)],
      { ...requestedState, status: 'rejected', reason: Reasons.DOMAIN_WRITEBACK_DISABLED },
    ],
    ['approved -> applied', [requested(), approved, applied], { ...requestedState, status: 'applied', reason: null }],
    [
      'approved -> failed',
      [requested(), approved, failed],
      { ...requestedState, status: 'failed', reason: Reasons.DC_UNAVAILABLE },
    ],
    [
      'approved -> rejected by the executor',
      [requested(), approved, rejected(Reasons.PASSWORD_TOO_YOUNG, 'executor')],
      { ...requestedState, status: 'rejected', reason: Reasons.PASSWORD_TOO_YOUNG },
    ],
    ['approved twice -> approved', [requested(), approved, approved], { ...requestedState, status: 'approved' }],
  ])('moves %s', (_transition, history, expected) => {
    expect(replay(history)).toEqual(expected);
  });

  const terminalHistories: Array<[string, WritebackEvent[]]> = [
    ['applied', [requested(), approved, applied]],
    ['failed', [requested(), approved, failed]],
    ['rejected by policy', [requested(), rejected(Reasons.OPERATION_UNSUPPORTED)]],
    ['rejected by the executor', [requested(), approved, rejected(Reasons.PASSWORD_POLICY, 'executor')]],
  ];
  const lateEvents: Array<[string, WritebackEvent]> = [
    ['a duplicate request', requested('no-match', null)],
    ['an approval', approved],
    ['an application', applied],
    ['a failure', failed],
    ['a rejection', rejected(Reasons.INSUFFICIENT_ACCESS, 'executor')],
  ];
  const terminalCases = terminalHistories.flatMap(([status, history]) =>
    lateEvents.map(([what, late]): [string, string, WritebackEvent[], WritebackEvent] => [status, what, history, late]),
  );

  it.each(terminalCases)('keeps a %s operation as it is when %s arrives late', (_status, _what, history, late) => {
    const before = replay(history);
    expect(evolve(before, late)).toEqual(before);
    expect(replay([...history, late, late])).toEqual(before);
  });

  it('ignores a second request for an operation that is already requested', () => {
    expect(evolve(requestedState, requested('ambiguous', null, resetFromPowerShell))).toEqual(requestedState);
  });

  it.each<[string, WritebackEvent]>([
    ['an approval', approved],
    ['an application', applied],
    ['a failure', failed],
    ['a rejection', rejected(Reasons.OPERATION_UNSUPPORTED)],
  ])('leaves the initial state when %s arrives for an unknown operation', (_what, event) => {
    expect(evolve(initialState(), event)).toEqual({ status: 'initial' });
    expect(replay([event, event])).toEqual({ status: 'initial' });
  });
});
