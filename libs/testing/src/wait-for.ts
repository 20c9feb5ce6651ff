import { inspect } from 'node:util';

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  description: string;
}

type Falsy = undefined | false;

/**
 * Polls `probe` until it returns a truthy value and resolves with that value. A probe that throws
 * counts as "not yet"; its last error is kept for the timeout message.
 */
export async function waitFor<T>(probe: () => Promise<T | Falsy> | T | Falsy, options: WaitForOptions): Promise<T> {
  const { timeoutMs, intervalMs = 100, description } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(
        `Timed out after ${timeoutMs}ms waiting for ${description}; last error: ${describeError(lastError)}`,
      );
    }
    await delay(Math.min(intervalMs, remaining));
  }
}

function describeError(error: unknown): string {
  if (error === undefined) return 'none';
  if (error instanceof Error) return error.message;
  return inspect(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
