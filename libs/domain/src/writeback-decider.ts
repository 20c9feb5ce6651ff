import type { EventEnvelope, ExecutorCommand, Reason, WritebackEvent } from '@writeback/contracts';
import { Reasons } from './reasons';
import { backoffDelay } from './retry';

/**
 * The executor's decider: what to do next with an ApplyPasswordWriteback command, from what is
 * known so far. The command handler (apps/writeback-executor, `apply-writeback.handler.ts`)
 * learns one fact per step (the outcome recorded earlier, the domain and sealed password made
 * ready, the claim, each directory write) and asks again, until a step ends the command. Time,
 * randomness and every I/O result come in as data, so the same facts give the same step.
 */

export type ApplyWriteback = Extract<ExecutorCommand, { type: 'ApplyPasswordWriteback' }>;

/** How hard the executor tries the directory. */
export interface WritebackLimits {
  /** Tries for retriable failures (DC down, missing right) before WritebackFailed. */
  maxAttempts: number;
  retryBaseDelayMs: number;
}

/** Tries for a write whose outcome is unknown, as a multiple of `maxAttempts`. */
export const UNCONFIRMED_ATTEMPTS_FACTOR = 3;
export const MAX_RETRY_DELAY_MS = 10_000;

/**
 * The domain's configuration read (at `domainConfigVersion` or later), its directory reachable
 * through its bind secret, and the sealed password opened. `credential-unreadable`: the sealed
 * password (or its key) cannot be opened; `executor-unconfigured`: this executor cannot serve the
 * domain (not configured, no key, no bind secret).
 */
export type Preparation =
  | { outcome: 'ready'; credential: 'opened' | 'absent' }
  | { outcome: 'credential-unreadable' }
  | { outcome: 'executor-unconfigured' };

/** The claim's answer (ADR 0011): `unknown` when the gate never accepted the operation. */
export type Claim = 'claimed' | 'expired' | 'unknown';

export interface AppliedWrite {
  domainController: string;
  actions: Array<'password' | 'unlock' | 'force-change-at-next-logon'>;
  policyHintsUsed: boolean;
}

/** A directory error as classified once by the directory adapter; null when unclassified. */
export interface ClassifiedDirectoryError {
  retriable: boolean;
  reason: Reason;
  /** The DC answered with an LDAP result code, so it did not take the write. */
  answered: boolean;
}

/** One directory write and what came of it. */
export type WriteAttempt =
  | { result: 'applied'; applied: AppliedWrite }
  | {
      result: 'failed';
      /** Whether this try wrote the password (`write`), found it written (`skip`), or got no further. */
      passwordWrite: PasswordWrite | null;
      error: ClassifiedDirectoryError | null;
    };

export interface WritebackKnown {
  /** The outcome this executor recorded for the operation earlier, if any. */
  recorded: EventEnvelope | null;
  preparation?: Preparation;
  claim?: Claim;
  attempts: readonly WriteAttempt[];
}

export const nothingKnown = (): WritebackKnown => ({ recorded: null, attempts: [] });

export type WritebackStep =
  /** The operation has an outcome already: publish it again, do not write the directory. */
  | { next: 'report-again'; outcome: EventEnvelope }
  /** Read the domain's configuration and open the sealed password. */
  | { next: 'prepare' }
  /** Claim the operation against its deadline (ADR 0011). */
  | { next: 'claim' }
  /** Write the directory, after waiting `delayMs` (0 on the first try). */
  | { next: 'write'; attempt: number; delayMs: number; retryReason: Reason | null }
  /** Record and announce WritebackApplied. */
  | { next: 'applied'; applied: AppliedWrite }
  /** Record and announce WritebackRejected: redelivery cannot help. */
  | { next: 'refuse'; reason: Reason }
  /** Record and announce WritebackFailed after `attempts` directory writes. */
  | { next: 'give-up'; reason: Reason; attempts: number }
  /** Write nothing, announce nothing: the gate never accepted this operation (dead-lettered). */
  | { next: 'drop-unknown' };

export function decideWriteback(
  command: ApplyWriteback,
  known: WritebackKnown,
  limits: WritebackLimits,
  random: () => number = Math.random,
): WritebackStep {
  if (known.recorded) return { next: 'report-again', outcome: known.recorded };
  const { preparation, claim, attempts } = known;
  if (!preparation) return { next: 'prepare' };
  switch (preparation.outcome) {
    case 'credential-unreadable':
      return { next: 'refuse', reason: Reasons.CREDENTIAL_UNREADABLE };
    case 'executor-unconfigured':
      return { next: 'give-up', reason: Reasons.EXECUTOR_CONFIGURATION, attempts: 0 };
    case 'ready':
      break;
    default: {
      const unreachable: never = preparation;
      throw new Error(`unknown preparation ${JSON.stringify(unreachable)}`);
    }
  }
  // Only an unlock may come without a password; anything else would be "applied" unwritten.
  if (preparation.credential === 'absent' && command.data.request.kind !== 'unlock') {
    return { next: 'refuse', reason: Reasons.CREDENTIAL_UNREADABLE };
  }
  // Past the claim the directory is written: the gate has not told the requester the operation
  // failed, and never will by its deadline (ADR 0011).
  if (!claim) return { next: 'claim' };
  switch (claim) {
    case 'unknown':
      return { next: 'drop-unknown' };
    case 'expired':
      return { next: 'give-up', reason: Reasons.DEADLINE_EXCEEDED, attempts: 0 };
    case 'claimed':
      break;
    default: {
      const unreachable: never = claim;
      throw new Error(`unknown claim ${String(unreachable)}`);
    }
  }
  const last = attempts.at(-1);
  if (!last) return { next: 'write', attempt: 1, delayMs: 0, retryReason: null };
  if (last.result === 'applied') return { next: 'applied', applied: last.applied };
  if (last.error && !last.error.retriable) return { next: 'refuse', reason: last.error.reason };
  const attempt = attempts.length;
  const unconfirmed = writeUnconfirmed(attempts);
  const reason = unconfirmed ? Reasons.WRITE_UNCONFIRMED : (last.error?.reason ?? Reasons.DIRECTORY_ERROR);
  if (attempt >= limits.maxAttempts * (unconfirmed ? UNCONFIRMED_ATTEMPTS_FACTOR : 1)) {
    return { next: 'give-up', reason, attempts: attempt };
  }
  const delayMs = backoffDelay(
    attempt - 1,
    { initialDelayMs: limits.retryBaseDelayMs, maxDelayMs: MAX_RETRY_DELAY_MS },
    random,
  );
  return { next: 'write', attempt: attempt + 1, delayMs, retryReason: reason };
}

/**
 * True while a password write may have reached the DC without its answer reaching us: then
 * "failed" would be a guess, so tries go on until the DC can tell (up to a larger bound). A try
 * that wrote the password leaves it unconfirmed, one that found it written confirms it, one that
 * got no further leaves it as it was; a DC that answered (any LDAP result code) did not take it.
 */
export function writeUnconfirmed(attempts: readonly WriteAttempt[]): boolean {
  let unconfirmed = false;
  for (const attempt of attempts) {
    if (attempt.result === 'applied') return false;
    if (attempt.passwordWrite) unconfirmed = attempt.passwordWrite === 'write';
    if (attempt.error?.answered) unconfirmed = false;
  }
  return unconfirmed;
}

export type PasswordWrite = 'write' | 'skip';

/** The directory's count of a user's password writes (unicodePwd's version), as read. */
export interface PasswordVersion {
  dn: string;
  version: number | null;
}

/** The count kept before this operation's first password write, for the user it was read on. */
export interface KeptPasswordVersion {
  userDn: string;
  versionBefore: number;
}

/**
 * Whether to write the password: a try that finds the count raised since the one kept before
 * this operation's first write (after a crash or a lost answer) knows the write happened, and
 * skips it. Without a count, or for another user (the account renamed or moved), it writes.
 */
export function decidePasswordWrite(read: PasswordVersion, kept: KeptPasswordVersion | null): PasswordWrite {
  if (read.version === null || kept?.userDn !== read.dn) return 'write';
  return read.version > kept.versionBefore ? 'skip' : 'write';
}

/** The event a terminal step announces, at `at` (ISO time). */
export function writebackOutcome(
  command: ApplyWriteback,
  step: Extract<WritebackStep, { next: 'applied' | 'refuse' | 'give-up' }>,
  at: string,
): WritebackEvent {
  const { operationId, domainId } = command.data;
  const targetUpn = command.data.request.target.userPrincipalName;
  switch (step.next) {
    case 'applied':
      return {
        type: 'WritebackApplied',
        version: 1,
        data: { operationId, domainId, targetUpn, ...step.applied, appliedAt: at },
      };
    case 'refuse':
      return {
        type: 'WritebackRejected',
        version: 1,
        data: {
          operationId,
          domainId,
          targetUpn,
          stage: 'executor',
          reason: step.reason,
          policyRule: null,
          rejectedAt: at,
        },
      };
    case 'give-up':
      return {
        type: 'WritebackFailed',
        version: 1,
        data: { operationId, domainId, targetUpn, reason: step.reason, attempts: step.attempts, failedAt: at },
      };
    default: {
      const unreachable: never = step;
      throw new Error(`not a terminal step ${JSON.stringify(unreachable)}`);
    }
  }
}
