import { HttpException, Inject, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Logger } from '@writeback/observability';
import { LOGGER, SERVICE_SETTINGS } from '../tokens';
import type { GateSettings } from '../settings';
import { Scopes, TOKEN_VERIFIER, type AuthenticatedRequest } from './bearer-auth.guard';
import { ScimClients } from './scim-clients';
import { bearerToken, TokenVerifier, Unauthenticated, type Caller } from './token-verifier';

export const SCIM_CLIENTS = Symbol('ScimClients');

/** RFC 7644 §3.12's error message schema. */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * A request to `/scim/v2` refused by `ScimAuthGuard`: 401 (no valid token) or 403 (a JWT without
 * `writeback.scim`). Its body is already the SCIM error and `headers` what goes with it, so the
 * SCIM exception filter can send it as is, as `application/scim+json`; without that filter, Nest's
 * own sends the same body and headers (as `application/json`: Nest sets that on every error body).
 */
export class ScimAuthError extends HttpException {
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: 401 | 403, detail: string) {
    super({ schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail }, status);
    this.headers = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
  }
}

interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/**
 * Authenticates SCIM clients (ADR 0023 §6): a JWT from the configured issuer with scope
 * `writeback.scim` (caller: its `sub` and `iss`), or a static token listed by hash in
 * WRITEBACK_SCIM_CLIENTS_FILE (caller: the client's name, issuer `writeback:scim-clients`).
 * Static tokens count here only: `BearerAuthGuard` knows nothing of them. The caller is set as
 * `BearerAuthGuard` sets it, so `CurrentCaller` works; with authentication off, every request is
 * the anonymous caller, as there.
 */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    @Inject(SCIM_CLIENTS) private readonly clients: ScimClients,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    try {
      request.caller = await this.authenticate(Array.isArray(header) ? header[0] : header);
    } catch (error) {
      if (error instanceof ScimAuthError) {
        const response = http.getResponse<HeaderSink>();
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      }
      throw error;
    }
    return true;
  }

  private async authenticate(authorization: string | undefined): Promise<Caller> {
    if (!this.verifier.enabled) return (await this.verifier.verify(authorization)).caller;
    const token = bearerToken(authorization);
    if (token === undefined) throw new ScimAuthError(401, 'a bearer token is required');
    const client = await this.clients.callerOf(token);
    if (client) return client;
    let verified: Awaited<ReturnType<TokenVerifier['verify']>>;
    try {
      verified = await this.verifier.verify(authorization);
    } catch (error) {
      // The verifier's messages are fixed texts and codes; none repeats the token.
      if (error instanceof Unauthenticated) throw new ScimAuthError(401, error.message);
      throw error;
    }
    if (verified.scopes !== 'all' && !verified.scopes.includes(Scopes.scim)) {
      throw new ScimAuthError(403, `the token lacks scope ${Scopes.scim}`);
    }
    return verified.caller;
  }
}

/**
 * `ScimAuthGuard` and the clients file it reads, for the gate's SCIM module (it needs `AuthModule`
 * and the gate's settings). A missing or bad file stops the service at start; one that turns bad
 * later refuses every static token and is logged (the file's name and the problem, never its content).
 */
@Module({
  providers: [
    {
      provide: SCIM_CLIENTS,
      inject: [SERVICE_SETTINGS, LOGGER],
      useFactory: async (
        settings: Pick<GateSettings, 'WRITEBACK_SCIM_CLIENTS_FILE'>,
        logger: Logger,
      ): Promise<ScimClients> => {
        const clients = new ScimClients(settings.WRITEBACK_SCIM_CLIENTS_FILE, (error) =>
          logger.error({ code: error.code }, `${error.message}: every static SCIM token is refused until it is fixed`),
        );
        await clients.check();
        return clients;
      },
    },
    ScimAuthGuard,
  ],
  exports: [SCIM_CLIENTS, ScimAuthGuard],
})
export class ScimAuthModule {}
