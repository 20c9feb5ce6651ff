import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { WritebackError } from '@writeback/contracts';
import { ConfigurationError } from '../service-config';
import { VerifiedTokens } from './verified-tokens';

/** Who called the API, as recorded with every operation. */
export interface Caller {
  subject: string;
  /** Token issuer; null when authentication is off (local use only). */
  issuer: string | null;
}

export type AuthConfig =
  | { mode: 'none' }
  | { mode: 'jwt'; issuer: string; audience: string; jwks: { url: string } | { file: string }; requiredScope?: string };

export class Unauthenticated extends WritebackError {
  readonly code = 'AUTH.UNAUTHENTICATED';
  readonly retriable = false;
}

/**
 * Reads WRITEBACK_AUTH_*. Authentication is on unless switched off explicitly
 * (WRITEBACK_AUTH_MODE=none, the embedded default, refused beyond loopback by
 * readServiceConfig): a service with neither refuses to start.
 */
export function readAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  if (env['WRITEBACK_AUTH_MODE'] === 'none') return { mode: 'none' };
  const issuer = env['WRITEBACK_AUTH_ISSUER'];
  const audience = env['WRITEBACK_AUTH_AUDIENCE'];
  const url = env['WRITEBACK_AUTH_JWKS_URL'];
  const file = env['WRITEBACK_AUTH_JWKS_FILE'];
  if (!issuer || !audience || (!url && !file)) {
    throw new ConfigurationError(
      'authentication is not configured: set WRITEBACK_AUTH_ISSUER, WRITEBACK_AUTH_AUDIENCE and ' +
        'WRITEBACK_AUTH_JWKS_URL or WRITEBACK_AUTH_JWKS_FILE, or WRITEBACK_AUTH_MODE=none for local use',
    );
  }
  return {
    mode: 'jwt',
    issuer,
    audience,
    jwks: url ? { url } : { file: file as string },
    ...(env['WRITEBACK_AUTH_REQUIRED_SCOPE'] ? { requiredScope: env['WRITEBACK_AUTH_REQUIRED_SCOPE'] } : {}),
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '')?.[1];
}

const ANONYMOUS: Caller = { subject: 'anonymous', issuer: null };

export interface Verified {
  caller: Caller;
  /** Every scope when authentication is off. */
  scopes: string[] | 'all';
}

/** Where the signing keys come from; `jwks()` tells the set in use, so a change is seen. */
export type TokenKeys = JWTVerifyGetKey & { jwks?: () => JSONWebKeySet | undefined };

/** How long a verified token is taken at its word, at most (ADR 0006). */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_TOKENS = 1_000;

/**
 * Verifies bearer JWTs (OIDC access tokens or signed service tokens) with jose. A token that
 * passed is not verified again until its `exp` or for a minute, whichever comes first, unless
 * the key set changes meanwhile (ADR 0006); refusals are never remembered.
 */
export class TokenVerifier {
  private readonly keys: TokenKeys | undefined;
  private readonly verified = new VerifiedTokens<Verified>({
    ttlMs: VERIFIED_TTL_MS,
    maxEntries: VERIFIED_MAX_TOKENS,
  });
  private keySet: string | undefined;
  /** Counts key set changes: a token verified while the set changed is not remembered. */
  private keySetChanges = 0;

  constructor(
    private readonly config: AuthConfig,
    keys?: TokenKeys,
  ) {
    if (config.mode === 'none') return;
    this.keys =
      keys ??
      ('url' in config.jwks
        ? createRemoteJWKSet(new URL(config.jwks.url))
        : createLocalJWKSet(JSON.parse(readFileSync(config.jwks.file, 'utf8')) as JSONWebKeySet));
    this.keySet = JSON.stringify(this.keys.jwks?.());
  }

  get enabled(): boolean {
    return this.config.mode === 'jwt';
  }

  /** The caller and the scopes its token grants. */
  async verify(authorization: string | undefined): Promise<Verified> {
    if (this.config.mode === 'none' || !this.keys) return { caller: ANONYMOUS, scopes: 'all' };
    const token = bearerToken(authorization);
    if (token === undefined) throw new Unauthenticated('a bearer token is required');
    const known = this.verified.get(token);
    if (known) return known;
    const changes = this.keySetChanges;
    const { verified, expiresAtMs } = await this.verifyToken(token, this.config, this.keys).finally(() =>
      this.followKeySet(),
    );
    if (changes === this.keySetChanges) this.verified.set(token, verified, expiresAtMs);
    return verified;
  }

  private async verifyToken(
    token: string,
    config: Extract<AuthConfig, { mode: 'jwt' }>,
    keys: TokenKeys,
  ): Promise<{ verified: Verified; expiresAtMs: number | undefined }> {
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: config.issuer, audience: config.audience });
      if (!payload.sub) throw new Unauthenticated('the token has no subject');
      const required = config.requiredScope;
      const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
      if (required && !scopes.includes(required)) throw new Unauthenticated(`the token lacks scope ${required}`);
      return {
        verified: { caller: { subject: payload.sub, issuer: payload.iss ?? null }, scopes },
        expiresAtMs: payload.exp === undefined ? undefined : payload.exp * 1000,
      };
    } catch (error) {
      if (error instanceof Unauthenticated) throw error;
      if (error instanceof errors.JOSEError) throw new Unauthenticated(`invalid token (${error.code})`);
      throw error;
    }
  }

  /**
   * A remote key set is fetched again only during a verification (when stale, or for an
   * unknown `kid`); a changed set, a signing key removed included, forgets every token
   * verified with the one before.
   */
  private followKeySet(): void {
    const current = JSON.stringify(this.keys?.jwks?.());
    if (current === this.keySet) return;
    this.keySet = current;
    this.keySetChanges += 1;
    this.verified.clear();
  }
}
