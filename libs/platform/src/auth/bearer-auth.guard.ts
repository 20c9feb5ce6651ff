import {
  createParamDecorator,
  Global,
  Inject,
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { readAuthConfig, TokenVerifier, Unauthenticated, type Caller } from './token-verifier';

export const TOKEN_VERIFIER = Symbol('TokenVerifier');

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
}

/** Rejects requests without a valid bearer token (401) and records the caller on the request. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(@Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['authorization'];
    try {
      request.caller = await this.verifier.verify(Array.isArray(header) ? header[0] : header);
      return true;
    } catch (error) {
      if (error instanceof Unauthenticated) {
        throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: error.message });
      }
      throw error;
    }
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
