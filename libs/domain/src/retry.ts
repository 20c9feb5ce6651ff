import type { Retriability } from '@writeback/contracts';

/** Exponential backoff: the first wait, and the ceiling no wait goes beyond. */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Doublings past which the ceiling is reached for any sane policy; keeps 2 ** n finite. */
const MAX_DOUBLINGS = 30;

/**
 * The wait before retry number `retry` (0 for the first): the ceiling doubles from
 * `initialDelayMs` up to `maxDelayMs`, and the wait is drawn uniformly from its upper half
 * ("equal jitter"), so that many consumers failing together do not hit a recovering peer
 * together, yet each still waits at least half the ceiling. `random` is injectable so tests
 * can pin it; it returns a value in [0, 1).
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const doublings = Math.min(Math.max(0, Math.floor(retry)), MAX_DOUBLINGS);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** doublings);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How a consumer retries a message whose handling failed. */
export interface DeliveryRetryPolicy extends BackoffPolicy {
  /**
   * Tries in all for a failure nobody classified (most often a bug) before the message is
   * dead-lettered, so one bad message cannot block its partition for ever.
   */
  maxUnclassifiedAttempts: number;
}

export type DeliveryStep =
  { next: 'retry'; delayMs: number } | { next: 'dead-letter'; because: 'not-retriable' | 'attempts-exhausted' };

/**
 * What follows failed try number `attempt` (1 for the first): a failure known to be retriable
 * (a peer down) is retried with backoff for as long as it lasts, since the message itself is
 * fine; one known not to be is dead-lettered at once; an unclassified one is retried up to
 * `maxUnclassifiedAttempts` tries in all, then dead-lettered.
 */
export function afterFailedDelivery(
  retriability: Retriability,
  attempt: number,
  policy: DeliveryRetryPolicy,
  random: () => number = Math.random,
): DeliveryStep {
  switch (retriability) {
    case 'not-retriable':
      return { next: 'dead-letter', because: 'not-retriable' };
    case 'unclassified':
      if (attempt >= policy.maxUnclassifiedAttempts) return { next: 'dead-letter', because: 'attempts-exhausted' };
      return { next: 'retry', delayMs: backoffDelay(attempt - 1, policy, random) };
    case 'retriable':
      return { next: 'retry', delayMs: backoffDelay(attempt - 1, policy, random) };
    default: {
      const unreachable: never = retriability;
      throw new Error(`unknown retriability ${String(unreachable)}`);
    }
  }
}
