import { afterFailedDelivery, backoffDelay, type DeliveryRetryPolicy } from './retry';

const policy: DeliveryRetryPolicy = { initialDelayMs: 100, maxDelayMs: 1000, maxUnclassifiedAttempts: 3 };
const lowest = (): number => 0;
const highest = (): number => 0.999_999;

describe('backoffDelay', () => {
  it('doubles the ceiling from the first delay on each retry, up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, policy, highest))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('waits at least half the ceiling (equal jitter), so retries never collapse to no wait', () => {
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, policy, lowest))).toEqual([50, 100, 200, 400, 500]);
  });

  it('spreads waits over the upper half of the ceiling', () => {
    const waits = Array.from({ length: 500 }, () => backoffDelay(3, policy));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...waits)).toBeLessThanOrEqual(800);
    expect(new Set(waits).size).toBeGreaterThan(50);
  });

  it('stays finite and at the maximum for huge retry counts, and treats a negative one as the first', () => {
    expect(backoffDelay(10_000, policy, highest)).toBe(1000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, policy, highest)).toBe(1000);
    expect(backoffDelay(-3, policy, highest)).toBe(100);
  });
});

describe('afterFailedDelivery', () => {
  it('dead-letters a failure known not to be retriable at the first try', () => {
    expect(afterFailedDelivery('not-retriable', 1, policy)).toEqual({ next: 'dead-letter', because: 'not-retriable' });
  });

  it('retries an unclassified failure with backoff until maxUnclassifiedAttempts tries, then dead-letters it', () => {
    expect(afterFailedDelivery('unclassified', 1, policy, highest)).toEqual({ next: 'retry', delayMs: 100 });
    expect(afterFailedDelivery('unclassified', 2, policy, highest)).toEqual({ next: 'retry', delayMs: 200 });
    expect(afterFailedDelivery('unclassified', 3, policy, highest)).toEqual({
      next: 'dead-letter',
      because: 'attempts-exhausted',
    });
  });

  it('retries a failure known to be retriable however many tries it took, at the maximum delay', () => {
    expect(afterFailedDelivery('retriable', 1, policy, highest)).toEqual({ next: 'retry', delayMs: 100 });
    expect(afterFailedDelivery('retriable', 1000, policy, highest)).toEqual({ next: 'retry', delayMs: 1000 });
  });
});
