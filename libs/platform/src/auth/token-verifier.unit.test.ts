import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { TokenVerifier, Unauthenticated, type AuthConfig, type TokenKeys } from './token-verifier';

const config: AuthConfig = {
  mode: 'jwt',
  issuer: 'https://idp.writeback.test',
  audience: 'writeback-gate',
  jwks: { file: 'unused: the key set is given' },
  requiredScope: 'writeback',
};

interface SigningKey {
  jwk: JWK;
  sign: (claims?: { exp?: number; scope?: string; aud?: string }) => Promise<string>;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const sign =
    (key: KeyLike) =>
    (claims: { exp?: number; scope?: string; aud?: string } = {}) =>
      new SignJWT({ scope: claims.scope ?? 'writeback' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(config.mode === 'jwt' ? config.issuer : '')
        .setAudience(claims.aud ?? 'writeback-gate')
        .setSubject('portal')
        .setExpirationTime(claims.exp ?? '10m')
        .sign(key);
  return { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' }, sign: sign(privateKey) };
}

/** A key set whose signing keys can be replaced, as an issuer's JWKS is; it counts the key lookups (one per signature check). */
function keySet(...keys: SigningKey[]): {
  keys: TokenKeys;
  lookups: () => number;
  publish: (...k: SigningKey[]) => void;
} {
  let published = { keys: keys.map((k) => k.jwk) };
  let current = createLocalJWKSet(published);
  let lookups = 0;
  const get: TokenKeys = Object.assign(
    (...args: Parameters<typeof current>) => {
      lookups += 1;
      return current(...args);
    },
    { jwks: () => published },
  );
  return {
    keys: get,
    lookups: () => lookups,
    publish: (...next) => {
      published = { keys: next.map((k) => k.jwk) };
      current = createLocalJWKSet(published);
    },
  };
}

const bearer = (token: string): string => `Bearer ${token}`;
const seconds = (ms: number): number => Math.floor(ms / 1000);

describe('TokenVerifier', () => {
  // Only the clock is faked: jose's checks and the cache read the same Date.
  beforeEach(() =>
    jest.useFakeTimers({
      now: new Date('2026-12-06T10:00:00Z'),
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'],
    }),
  );
  afterEach(() => jest.useRealTimers());

  it('checks the signature of a token sent again and again once, and answers the same each time', async () => {
    const key = await signingKey('k1');
    const set = keySet(key);
    const sut = new TokenVerifier(config, set.keys);
    const token = await key.sign();

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sut.verify(bearer(token)));

    expect(set.lookups()).toBe(1);
    expect(answers).toEqual(
      Array(3).fill({
        caller: { subject: 'portal', issuer: config.mode === 'jwt' ? config.issuer : null },
        scopes: ['writeback'],
      }),
    );
  });

  it('refuses a remembered token once its exp has passed', async () => {
    const key = await signingKey('k1');
    const sut = new TokenVerifier(config, keySet(key).keys);
    const token = await key.sign({ exp: seconds(Date.now()) + 30 });
    await sut.verify(bearer(token));

    jest.advanceTimersByTime(30_000);

    await expect(sut.verify(bearer(token))).rejects.toThrow(new Unauthenticated('invalid token (ERR_JWT_EXPIRED)'));
  });

  it('checks a long-lived token again after a minute', async () => {
    const key = await signingKey('k1');
    const set = keySet(key);
    const sut = new TokenVerifier(config, set.keys);
    const token = await key.sign({ exp: seconds(Date.now()) + 3600 });
    await sut.verify(bearer(token));

    jest.advanceTimersByTime(59_999);
    await sut.verify(bearer(token));
    expect(set.lookups()).toBe(1);
    jest.advanceTimersByTime(1);
    await sut.verify(bearer(token));
    expect(set.lookups()).toBe(2);
  });

  it('forgets every token when the key set changes: one signed with a withdrawn key is refused at once', async () => {
    const [withdrawn, next] = await Promise.all([signingKey('k1'), signingKey('k2')]);
    const set = keySet(withdrawn);
    const sut = new TokenVerifier(config, set.keys);
    const old = await withdrawn.sign();
    await sut.verify(bearer(old));

    // The issuer withdraws k1; a token signed with k2 is the first to see the new set.
    set.publish(next);
    await sut.verify(bearer(await next.sign()));

    await expect(sut.verify(bearer(old))).rejects.toThrow(Unauthenticated);
  });

  it.each([
    ['another audience', { aud: 'another-service' }],
    ['no required scope', { scope: 'other' }],
  ])('never remembers a refusal (%s)', async (_name, claims) => {
    const key = await signingKey('k1');
    const set = keySet(key);
    const sut = new TokenVerifier(config, set.keys);
    const token = await key.sign(claims);

    for (let i = 0; i < 2; i++) await expect(sut.verify(bearer(token))).rejects.toThrow(Unauthenticated);
    expect(set.lookups()).toBe(2);
  });
});
