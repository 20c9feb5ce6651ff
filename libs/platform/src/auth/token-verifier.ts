import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { WritebackError } from '@writeback/contracts';
import { ConfigurationError } from '../service-config';

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

const ANONYMOUS: Caller = { subject: 'anonymous', issuer: null };

/** Verifies bearer JWTs (OIDC access tokens or signed service tokens) with jose. */
export class TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet> | ReturnType<typeof createLocalJWKSet> | undefined;

  constructor(private readonly config: AuthConfig) {
    if (config.mode === 'none') return;
    this.keys =
      'url' in config.jwks
        ? createRemoteJWKSet(new URL(config.jwks.url))
        : createLocalJWKSet(JSON.parse(readFileSync(config.jwks.file, 'utf8')) as JSONWebKeySet);
  }

  get enabled(): boolean {
    return this.config.mode === 'jwt';
  }

  /** The caller and the scopes its token grants (every scope when authentication is off). */
  async verify(authorization: string | undefined): Promise<{ caller: Caller; scopes: string[] | 'all' }> {
    if (this.config.mode === 'none') return { caller: ANONYMOUS, scopes: 'all' };
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '');
    if (!match) throw new Unauthenticated('a bearer token is required');
    try {
      const { payload } = await jwtVerify(match[1] as string, this.keys as NonNullable<typeof this.keys>, {
        issuer: this.config.issuer,
        audience: this.config.audience,
      });
      if (!payload.sub) throw new Unauthenticated('the token has no subject');
      const required = this.config.requiredScope;
      const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
      if (required && !scopes.includes(required)) throw new Unauthenticated(`the token lacks scope ${required}`);
      return { caller: { subject: payload.sub, issuer: payload.iss ?? null }, scopes };
    } catch (error) {
      if (error instanceof Unauthenticated) throw error;
      if (error instanceof errors.JOSEError) throw new Unauthenticated(`invalid token (${error.code})`);
      throw error;
    }
  }
}
