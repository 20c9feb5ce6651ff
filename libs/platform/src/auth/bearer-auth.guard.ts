import {
  createParamDecorator,
  ForbiddenException,
  SetMetadata,
  Global,
  Inject,
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { readAuthConfig, TokenVerifier, Unauthenticated, type Caller } from './token-verifier';

export const TOKEN_VERIFIER = Symbol('TokenVerifier');
const REQUIRED_SCOPE = 'writeback:required-scope';

/** The scopes the services' APIs ask for (README, "Authentication"). */
export const Scopes = {
  /** Changes configuration, runs retention, replays dead letters; reads everything too. */
  operator: 'writeback.operator',
  /** Reads the audit trail and the domains' configuration; changes nothing. */
  auditor: 'writeback.auditor',
  /** Pushes passwords over SCIM (`/scim/v2`, ADR 0023); nothing else. */
  scim: 'writeback.scim',
} as const;

/** Reads of the audit trail and of configuration: auditors, and operators too. */
export const READER_SCOPES = [Scopes.auditor, Scopes.operator] as const;

/**
 * The token must grant one of these scopes. On a method it replaces the class's: a
 * controller open to readers marks its changes operator-only.
 */
export const RequireScope = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scopes);

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
}

/** Rejects requests without a valid bearer token (401) and records the caller on the request. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    let verified: Awaited<ReturnType<TokenVerifier['verify']>>;
    try {
      verified = await this.verifier.verify(Array.isArray(header) ? header[0] : header);
    } catch (error) {
      if (error instanceof Unauthenticated) {
        throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: error.message });
      }
      throw error;
    }
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const granted = verified.scopes;
    if (required?.length && granted !== 'all' && !required.some((scope) => granted.includes(scope))) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `the token lacks scope ${required.join(' or ')}`,
      });
    }
    request.caller = verified.caller;
    return true;
  }
}

/** The caller the guard authenticated. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().caller as Caller,
);

@Global()
@Module({
  providers: [{ provide: TOKEN_VERIFIER, useFactory: () => new TokenVerifier(readAuthConfig()) }, BearerAuthGuard],
  exports: [TOKEN_VERIFIER, BearerAuthGuard],
})
export class AuthModule {}
