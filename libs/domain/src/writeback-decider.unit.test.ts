/* eslint jest/expect-expect: ['warn', { assertFunctionNames: ['expect', 'given.**.then'] }] */
import { envelope, type WritebackRequest } from '@writeback/contracts';
import { Reasons } from './reasons';
import {
  decidePasswordWrite,
  decideWriteback,
  nothingKnown,
  writebackOutcome,
  type AppliedWrite,
  type ApplyWriteback,
  type ClassifiedDirectoryError,
  type WriteAttempt,
  type WritebackKnown,
  type WritebackLimits,
  type WritebackStep,
} from './writeback-decider';

const OPERATION_ID = '3f6c2b1e-8d4a-4c1f-9b7e-2a5d6c8e9f01';
const UPN = 'alice@corp.example.test';
const NOW = '2026-11-25T10:00:05.000Z';
const LIMITS: WritebackLimits = { maxAttempts: 3, retryBaseDelayMs: 200 };
/** Pins the jitter to the top of its range, so a delay is the backoff ceiling. */
const TOP = (): number => 0.999999;

const reset: WritebackRequest = {
  kind: 'self-service-reset',
  channel: 'sspr-portal',
  initiator: { id: UPN, isAdministrator: false },
  target: { userPrincipalName: UPN, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
};

function command(kind: WritebackRequest['kind'] = 'self-service-reset', sealed = true): ApplyWriteback {
  return {
    type: 'ApplyPasswordWriteback',
    version: 1,
    data: {
      operationId: OPERATION_ID,
      domainId: 'corp',
      request: { ...reset, kind },
      credential: sealed ? { keyId: 'k1', enc: 'ZW5j', ciphertext: 'Y2lwaGVy' } : null,
      domainConfigVersion: 4,
    },
  };
}

const APPLIED: AppliedWrite = {
  domainController: 'dc1.corp.example.test',
  actions: ['password'],
  policyHintsUsed: true,
};
const dcDown: ClassifiedDirectoryError = { retriable: true, reason: Reasons.DC_UNAVAILABLE, answered: false };
const tooYoung: ClassifiedDirectoryError = { retriable: false, reason: Reasons.PASSWORD_TOO_YOUNG, answered: true };
const busy: ClassifiedDirectoryError = { retriable: true, reason: Reasons.DC_UNAVAILABLE, answered: true };

const failed = (
  error: ClassifiedDirectoryError | null,
  passwordWrite: 'write' | 'skip' | null = null,
): WriteAttempt => ({
  result: 'failed',
  passwordWrite,
  error,
});
const ready: Pick<WritebackKnown, 'preparation' | 'claim'> = {
  preparation: { outcome: 'ready', credential: 'opened' },
  claim: 'claimed',
};
const tried = (...attempts: WriteAttempt[]): WritebackKnown => ({ ...nothingKnown(), ...ready, attempts });

/** given(what is known).when(command).then(next step): the executor's contract, with no I/O. */
function given(known: WritebackKnown, limits: WritebackLimits = LIMITS) {
  return {
    when(cmd: ApplyWriteback) {
      return {
        then(expected: WritebackStep): void {
          expect(decideWriteback(cmd, known, limits, TOP)).toEqual(expected);
        },
      };
    },
  };
}

describe('executor decider', () => {
  describe('before the directory', () => {
    it('reports an outcome recorded earlier again, whatever else is known', () => {
      const earlier = envelope(writebackOutcome(command(), { next: 'applied', applied: APPLIED }, NOW), {
        correlationId: OPERATION_ID,
      });

      given({ ...tried(), recorded: earlier })
        .when(command())
        .then({ next: 'report-again', outcome: earlier });
    });

    it('prepares a command seen for the first time', () => {
      given(nothingKnown()).when(command()).then({ next: 'prepare' });
    });

    it('refuses a command whose sealed password cannot be opened', () => {
      given({ ...nothingKnown(), preparation: { outcome: 'credential-unreadable' } })
        .when(command())
        .then({ next: 'refuse', reason: Reasons.CREDENTIAL_UNREADABLE });
    });

    it('gives up, with no directory write, when this executor cannot serve the domain', () => {
      given({ ...nothingKnown(), preparation: { outcome: 'executor-unconfigured' } })
        .when(command())
        .then({ next: 'give-up', reason: Reasons.EXECUTOR_CONFIGURATION, attempts: 0 });
    });

    it('refuses a reset that carries no sealed password, rather than report it applied unwritten', () => {
      given({ ...nothingKnown(), preparation: { outcome: 'ready', credential: 'absent' } })
        .when(command('self-service-reset', false))
        .then({ next: 'refuse', reason: Reasons.CREDENTIAL_UNREADABLE });
    });

    it('claims an unlock that carries no password', () => {
      given({ ...nothingKnown(), preparation: { outcome: 'ready', credential: 'absent' } })
        .when(command('unlock', false))
        .then({ next: 'claim' });
    });

    it('claims the operation once the domain and the password are ready', () => {
      given({ ...nothingKnown(), preparation: { outcome: 'ready', credential: 'opened' } })
        .when(command())
        .then({ next: 'claim' });
    });

    it('drops a command the gate never accepted: nothing written, nothing announced', () => {
      given({ ...nothingKnown(), ...ready, claim: 'unknown' })
        .when(command())
        .then({ next: 'drop-unknown' });
    });

    it('gives up, with no directory write, when the deadline passed before the claim', () => {
      given({ ...nothingKnown(), ...ready, claim: 'expired' })
        .when(command())
        .then({ next: 'give-up', reason: Reasons.DEADLINE_EXCEEDED, attempts: 0 });
    });

    it('writes at once once claimed', () => {
      given(tried()).when(command()).then({ next: 'write', attempt: 1, delayMs: 0, retryReason: null });
    });
  });

  describe('after a directory write', () => {
    it('reports what the directory applied', () => {
      given(tried(failed(dcDown), { result: 'applied', applied: APPLIED }))
        .when(command())
        .then({ next: 'applied', applied: APPLIED });
    });

    it('refuses at once what the directory refused for good, with its reason', () => {
      given(tried(failed(tooYoung, 'write')))
        .when(command())
        .then({ next: 'refuse', reason: Reasons.PASSWORD_TOO_YOUNG });
    });

    it('retries a retriable failure after the backoff, doubling the wait', () => {
      given(tried(failed(dcDown)))
        .when(command())
        .then({ next: 'write', attempt: 2, delayMs: 200, retryReason: Reasons.DC_UNAVAILABLE });
      given(tried(failed(dcDown), failed(dcDown)))
        .when(command())
        .then({ next: 'write', attempt: 3, delayMs: 400, retryReason: Reasons.DC_UNAVAILABLE });
    });

    it('never waits longer than the ceiling', () => {
      given(tried(failed(dcDown), failed(dcDown), failed(dcDown)), { maxAttempts: 9, retryBaseDelayMs: 8_000 })
        .when(command())
        .then({ next: 'write', attempt: 4, delayMs: 10_000, retryReason: Reasons.DC_UNAVAILABLE });
    });

    it('retries an unclassified failure as an unexpected directory error', () => {
      given(tried(failed(null)))
        .when(command())
        .then({ next: 'write', attempt: 2, delayMs: 200, retryReason: Reasons.DIRECTORY_ERROR });
    });

    it('gives up after maxAttempts retriable failures, with the last reason and the count', () => {
      given(tried(failed(dcDown), failed(dcDown), failed(null)))
        .when(command())
        .then({ next: 'give-up', reason: Reasons.DIRECTORY_ERROR, attempts: 3 });
    });

    it('keeps trying a write whose answer was lost, up to three times maxAttempts, then says it is unconfirmed', () => {
      const lost = failed(dcDown, 'write');
      given(tried(lost, lost, lost))
        .when(command())
        .then({ next: 'write', attempt: 4, delayMs: 800, retryReason: Reasons.WRITE_UNCONFIRMED });
      given(tried(...Array<WriteAttempt>(9).fill(lost)))
        .when(command())
        .then({ next: 'give-up', reason: Reasons.WRITE_UNCONFIRMED, attempts: 9 });
    });

    it('keeps a write unconfirmed through tries that did not reach the password', () => {
      given(tried(failed(dcDown, 'write'), failed(dcDown), failed(dcDown)))
        .when(command())
        .then({ next: 'write', attempt: 4, delayMs: 800, retryReason: Reasons.WRITE_UNCONFIRMED });
    });

    it('counts a write as not taken once the DC answered, or a later try found it written', () => {
      given(tried(failed(dcDown, 'write'), failed(busy), failed(dcDown)))
        .when(command())
        .then({ next: 'give-up', reason: Reasons.DC_UNAVAILABLE, attempts: 3 });
      given(tried(failed(dcDown, 'write'), failed(dcDown, 'skip'), failed(dcDown)))
        .when(command())
        .then({ next: 'give-up', reason: Reasons.DC_UNAVAILABLE, attempts: 3 });
    });
  });

  describe('the password write', () => {
    const kept = { userDn: 'CN=Ada,DC=corp', versionBefore: 3 };

    it('writes when the directory keeps no count, or nothing was kept', () => {
      expect(decidePasswordWrite({ dn: 'CN=Ada,DC=corp', version: null }, kept)).toBe('write');
      expect(decidePasswordWrite({ dn: 'CN=Ada,DC=corp', version: 3 }, null)).toBe('write');
    });

    it('writes while the count is the one kept before the first write, skips once it rose', () => {
      expect(decidePasswordWrite({ dn: 'CN=Ada,DC=corp', version: 3 }, kept)).toBe('write');
      expect(decidePasswordWrite({ dn: 'CN=Ada,DC=corp', version: 4 }, kept)).toBe('skip');
    });

    it('writes for another user than the count was kept for (the account renamed or moved)', () => {
      expect(decidePasswordWrite({ dn: 'CN=Ada,OU=Moved,DC=corp', version: 9 }, kept)).toBe('write');
    });
  });

  describe('the outcome announced', () => {
    const AT = '2026-11-25T10:00:05.000Z';
    const base = { operationId: OPERATION_ID, domainId: 'corp', targetUpn: UPN };

    it('is WritebackApplied with what the directory did', () => {
      expect(writebackOutcome(command(), { next: 'applied', applied: APPLIED }, AT)).toEqual({
        type: 'WritebackApplied',
        version: 1,
        data: { ...base, ...APPLIED, appliedAt: AT },
      });
    });

    it('is WritebackRejected at the executor stage for a refusal', () => {
      expect(writebackOutcome(command(), { next: 'refuse', reason: Reasons.PASSWORD_TOO_YOUNG }, AT)).toEqual({
        type: 'WritebackRejected',
        version: 1,
        data: { ...base, stage: 'executor', reason: Reasons.PASSWORD_TOO_YOUNG, policyRule: null, rejectedAt: AT },
      });
    });

    it('is WritebackFailed with the reason and the attempts for a give-up', () => {
      expect(
        writebackOutcome(command(), { next: 'give-up', reason: Reasons.DEADLINE_EXCEEDED, attempts: 0 }, AT),
      ).toEqual({
        type: 'WritebackFailed',
        version: 1,
        data: { ...base, reason: Reasons.DEADLINE_EXCEEDED, attempts: 0, failedAt: AT },
      });
    });
  });
});
