import { VerifiedTokens } from './verified-tokens';

describe('VerifiedTokens', () => {
  const start = 1_800_000_000_000;
  const clock = (): { now: () => number; advance: (ms: number) => void } => {
    let now = start;
    return { now: () => now, advance: (ms) => (now += ms) };
  };

  it('gives a token back until its exp, when that comes before the TTL', () => {
    const time = clock();
    const sut = new VerifiedTokens<string>({ ttlMs: 60_000, maxEntries: 10 }, time.now);
    sut.set('token', 'alice', start + 30_000);

    time.advance(29_999);
    expect(sut.get('token')).toBe('alice');
    time.advance(1);
    expect(sut.get('token')).toBeUndefined();
  });

  it('gives a token back for the TTL at most, however late its exp', () => {
    const time = clock();
    const sut = new VerifiedTokens<string>({ ttlMs: 60_000, maxEntries: 10 }, time.now);
    sut.set('long-lived', 'portal', start + 3_600_000);
    sut.set('no-exp', 'service', undefined);

    time.advance(59_999);
    expect([sut.get('long-lived'), sut.get('no-exp')]).toEqual(['portal', 'service']);
    time.advance(1);
    expect([sut.get('long-lived'), sut.get('no-exp')]).toEqual([undefined, undefined]);
  });

  it('keeps nothing for a token already expired', () => {
    const sut = new VerifiedTokens<string>({ ttlMs: 60_000, maxEntries: 10 }, () => start);
    sut.set('token', 'alice', start);
    expect(sut.get('token')).toBeUndefined();
  });

  it('tells tokens apart and makes room by dropping the oldest', () => {
    const sut = new VerifiedTokens<string>({ ttlMs: 60_000, maxEntries: 2 }, () => start);
    sut.set('first', 'a', undefined);
    sut.set('second', 'b', undefined);
    sut.set('third', 'c', undefined);
    expect([sut.get('first'), sut.get('second'), sut.get('third'), sut.get('fourth')]).toEqual([
      undefined,
      'b',
      'c',
      undefined,
    ]);
  });

  it('forgets every token when cleared', () => {
    const sut = new VerifiedTokens<string>({ ttlMs: 60_000, maxEntries: 10 }, () => start);
    sut.set('token', 'alice', undefined);
    sut.clear();
    expect(sut.get('token')).toBeUndefined();
  });
});
