/* eslint jest/expect-expect: ['warn', { assertFunctionNames: ['expect', 'given.**.then', 'given.**.thenThrows'] }] */
import type { Caller, Reason, SealedCredential, WritebackEvent, WritebackRequest } from '@writeback/contracts';
import { decideGate, type DecidingDomain, type GateCommand, type GateDecision } from './gate-decider';
import { OperationConflict, replay } from './operation';
import { POLICY_VERSION } from './policy';
import { Reasons } from './reasons';

const OPERATION_ID = '3f6c2b1e-8d4a-4c1f-9b7e-2a5d6c8e9f01';
const UPN = 'alice@corp.example.test';
const REQUESTED_AT = '2026-11-25T10:00:00.000Z';
const NOW = '2026-11-25T10:00:01.000Z';

const CORP: DecidingDomain = {
  id: 'corp',
  version: 7,
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: false,
  scimPush: 'off',
  policy: { refuse: [], allow: [], allowWidening: false },
};
const CALLER: Caller = { subject: 'sspr-frontend', issuer: 'https://login.example.test/' };
const SEALED: SealedCredential = { keyId: 'k1', enc: 'ZW5j', ciphertext: 'Y2lwaGVy' };

const reset: WritebackRequest = {
  kind: 'self-service-reset',
  channel: 'sspr-portal',
  initiator: { id: UPN, isAdministrator: false },
  target: { userPrincipalName: UPN, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
};

function accept(domain: DecidingDomain | null = CORP, routing: 'resolved' | 'no-match' = 'resolved'): GateCommand {
  return {
    type: 'AcceptWriteback',
    operationId: OPERATION_ID,
    request: reset,
    caller: CALLER,
    routing,
    domainId: routing === 'resolved' ? 'corp' : null,
    domain,
    credential: routing === 'resolved' ? SEALED : null,
    now: NOW,
  };
}

const decidePending = (domain: DecidingDomain | null = CORP): GateCommand => ({
  type: 'DecidePendingWriteback',
  domain,
  credential: SEALED,
  now: NOW,
});

const requested = (requestedAt = REQUESTED_AT, domainId: string | null = 'corp'): WritebackEvent => ({
  type: 'PasswordChangeRequested',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    request: reset,
    caller: CALLER,
    routing: domainId ? 'resolved' : 'no-match',
    domainId,
    requestedAt,
  },
});

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

const refused = (
  reason: Reason = Reasons.DOMAIN_WRITEBACK_DISABLED,
  domainId: string | null = 'corp',
): WritebackEvent => ({
  type: 'WritebackRejected',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId,
    targetUpn: UPN,
    stage: 'policy',
    reason,
    policyRule: null,
    rejectedAt: NOW,
  },
});

const expired: WritebackEvent = {
  type: 'WritebackFailed',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    targetUpn: UPN,
    reason: Reasons.DEADLINE_EXCEEDED,
    attempts: 0,
    failedAt: NOW,
  },
};

const apply = (domainConfigVersion: number | undefined = CORP.version): GateDecision['command'] => ({
  type: 'ApplyPasswordWriteback',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    request: reset,
    credential: SEALED,
    ...(domainConfigVersion === undefined ? {} : { domainConfigVersion }),
  },
});

/** given(history).when(command).then(decision): the gate's contract, with no I/O. */
function given(history: readonly WritebackEvent[]) {
  return {
    when(command: GateCommand) {
      const run = (): GateDecision => decideGate(command, replay(history));
      return {
        then(expected: GateDecision): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(error: new (message: string) => Error): void {
          expect(run).toThrow(error);
        },
      };
    },
  };
}

describe('gate decider', () => {
  describe('AcceptWriteback', () => {
    it('records an approved request with its approval, and sends the executor the sealed password and the configuration version', () => {
      given([])
        .when(accept())
        .then({ events: [requested(NOW), approved], command: apply() });
    });

    it('records a refused request with its refusal, and sends the executor nothing', () => {
      given([])
        .when(accept({ ...CORP, writebackEnabled: false }))
        .then({ events: [requested(NOW), refused()], command: null });
    });

    it('refuses an unroutable request with its reason', () => {
      given([])
        .when(accept(null, 'no-match'))
        .then({ events: [requested(NOW, null), refused(Reasons.TARGET_NO_MATCHING_DOMAIN, null)], command: null });
    });

    it('never accepts an operation twice', () => {
      given([requested()]).when(accept()).thenThrows(OperationConflict);
    });
  });

  describe('DecidePendingWriteback', () => {
    it('decides a request recorded undecided, with the executor command when approved', () => {
      given([requested()])
        .when(decidePending())
        .then({ events: [approved], command: apply() });
    });

    it('refuses a pending request whose domain is no longer configured', () => {
      given([requested()])
        .when(decidePending(null))
        .then({ events: [refused(Reasons.TARGET_NO_MATCHING_DOMAIN)], command: null });
    });

    it.each<[string, WritebackEvent[]]>([
      ['decided by another gate', [requested(), approved]],
      ['ended by its deadline', [requested(), expired]],
      ['not requested at all', []],
    ])('decides nothing on an operation %s', (_why, history) => {
      given(history).when(decidePending()).then({ events: [], command: null });
    });
  });

  describe('ExpireWriteback', () => {
    it('fails an operation still waiting for an executor', () => {
      given([requested(), approved])
        .when({ type: 'ExpireWriteback', now: NOW })
        .then({ events: [expired], command: null });
    });

    it('says nothing about an operation that has ended', () => {
      given([requested(), refused()]).when({ type: 'ExpireWriteback', now: NOW }).then({ events: [], command: null });
    });
  });
});
