import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TestIssuer {
  issuer: string;
  audience: string;
  /** Environment that makes a service trust this issuer. */
  env: Record<string, string>;
  /** A fresh access token for `subject`; `overrides` can break it on purpose. */
  token(subject: string, overrides?: { audience?: string; expiresIn?: string; scope?: string }): Promise<string>;
}

/** A local identity provider: a signing key, its JWKS on disk, and tokens on demand. */
export async function startTestIssuer(workDir: string): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
  const jwksFile = join(workDir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));
  const issuer = 'https://idp.writeback.test';
  const audience = 'writeback-gate';
  return {
    issuer,
    audience,
    env: { WRITEBACK_AUTH_ISSUER: issuer, WRITEBACK_AUTH_AUDIENCE: audience, WRITEBACK_AUTH_JWKS_FILE: jwksFile },
    token: (subject, overrides = {}) =>
      new SignJWT({ scope: overrides.scope ?? 'writeback' })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
        .setIssuer(issuer)
        .setAudience(overrides.audience ?? audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(overrides.expiresIn ?? '5m')
        .sign(privateKey),
  };
}
