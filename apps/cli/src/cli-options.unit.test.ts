import { InvalidArgumentError } from 'commander';
import { instantOf, parseCount } from './cli-options';

const NOW = Date.parse('2026-12-05T12:00:00.000Z');

describe('instantOf', () => {
  it('takes a duration as that long before now', () => {
    expect(instantOf('90s', NOW)).toBe('2026-12-05T11:58:30.000Z');
    expect(instantOf('15m', NOW)).toBe('2026-12-05T11:45:00.000Z');
    expect(instantOf('2h', NOW)).toBe('2026-12-05T10:00:00.000Z');
    expect(instantOf('7d', NOW)).toBe('2026-11-28T12:00:00.000Z');
    expect(instantOf('1w', NOW)).toBe('2026-11-28T12:00:00.000Z');
  });

  it('takes an ISO 8601 date or date-time with its zone, in UTC', () => {
    expect(instantOf('2026-12-01', NOW)).toBe('2026-12-01T00:00:00.000Z');
    expect(instantOf('2026-12-01T09:30:00+01:00', NOW)).toBe('2026-12-01T08:30:00.000Z');
    expect(instantOf('2026-12-01T09:30Z', NOW)).toBe('2026-12-01T09:30:00.000Z');
  });

  it('refuses a date-time without a zone, which would depend on where the CLI runs, and anything else', () => {
    for (const bad of ['2026-12-01T09:30:00', 'yesterday', '15 minutes', '2026-13-45', '-5m', '']) {
      expect(() => instantOf(bad, NOW)).toThrow(InvalidArgumentError);
    }
  });
});

describe('parseCount', () => {
  it('takes a whole number above 0 and refuses the rest', () => {
    expect(parseCount('25')).toBe(25);
    for (const bad of ['0', '-1', '2.5', 'ten', '']) expect(() => parseCount(bad)).toThrow(InvalidArgumentError);
  });
});
