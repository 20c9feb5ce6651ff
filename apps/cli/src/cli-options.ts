import { InvalidArgumentError } from 'commander';

/**
 * Option parsers for commander: an `InvalidArgumentError` makes commander report bad usage
 * (exit 2) with the option's name.
 */

export function parseTimeoutSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0)) {
    throw new InvalidArgumentError('give a number of seconds above 0');
  }
  return seconds;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('give a whole number above 0');
  }
  return n;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An instant as an operator gives it: ISO 8601 (`2026-12-05`, `2026-12-05T09:00:00Z`, with an
 * offset) or a duration before `now` (`90s`, `15m`, `2h`, `7d`, `1w`). ISO out, with its zone.
 */
export function instantOf(value: string, now: number): string {
  const text = value.trim();
  const duration = /^(\d+)([smhdw])$/.exec(text);
  if (duration) return new Date(now - Number(duration[1]) * (UNIT_MS[duration[2] as string] as number)).toISOString();
  const at = Date.parse(text);
  if (!ISO_INSTANT.test(text) || Number.isNaN(at)) {
    throw new InvalidArgumentError(
      'give an ISO 8601 date or date-time with its zone (2026-12-05, 2026-12-05T09:00:00Z) or a duration ago (15m, 2h, 7d)',
    );
  }
  return new Date(at).toISOString();
}

export const parseInstant = (value: string): string => instantOf(value, Date.now());
