import { UsageError } from './cli-errors';
import { decideConfirmation, decideTargets } from './safety';

describe('decideTargets', () => {
  it('refuses a bulk switch that names neither a domain nor --all, saying how to name one', () => {
    expect(() => decideTargets('disable', {})).toThrow(UsageError);
    expect(() => decideTargets('disable', {})).toThrow(/--domain <id>.*--all/);
  });

  it('takes one domain, or every domain only with --all, and not both', () => {
    expect(decideTargets('enable', { domain: 'corp' })).toEqual({ domain: 'corp' });
    expect(decideTargets('enable', { domain: 'all' })).toEqual({ domain: 'all' });
    expect(decideTargets('enable', { all: true })).toEqual({ all: true });
    expect(() => decideTargets('enable', { domain: 'corp', all: true })).toThrow('not both');
  });
});

describe('decideConfirmation', () => {
  it('goes ahead with --yes, asks on a terminal, refuses without one', () => {
    expect(decideConfirmation(true, false)).toBe('proceed');
    expect(decideConfirmation(true, true)).toBe('proceed');
    expect(decideConfirmation(false, true)).toBe('ask');
    expect(decideConfirmation(false, false)).toBe('refuse');
  });
});
