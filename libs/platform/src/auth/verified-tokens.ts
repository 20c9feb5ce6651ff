import { createHash } from 'node:crypto';

/**
 * Bearer tokens already verified, and what their verification gave, so that a caller sending
 * the same token with every request (a portal's service token) has its signature checked once
 * per `ttlMs` instead of on each request (ADR 0006, issue 21). Keyed by a SHA-256 of the token:
 * the tokens themselves are not kept. An entry lasts until the token's `exp` or the TTL,
 * whichever comes first; the owner clears them all when the key set changes.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; untilMs: number }>();

  constructor(
    private readonly limits: { ttlMs: number; maxEntries: number },
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): T | undefined {
    const digest = digestOf(token);
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (this.now() < entry.untilMs) return entry.value;
    this.entries.delete(digest);
    return undefined;
  }

  /** `expiresAtMs`: the token's `exp` in milliseconds, when it has one. */
  set(token: string, value: T, expiresAtMs: number | undefined): void {
    const untilMs = Math.min(this.now() + this.limits.ttlMs, expiresAtMs ?? Infinity);
    if (untilMs <= this.now()) return;
    // Insertion order is age order: the oldest entry makes room.
    if (this.entries.size >= this.limits.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(digestOf(token), { value, untilMs });
  }

  clear(): void {
    this.entries.clear();
  }
}

const digestOf = (token: string): string => createHash('sha256').update(token).digest('base64url');
