import { HttpException, HttpStatus, Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { messageKeyForTarget, type Caller } from '@writeback/contracts';
import type { GateOptions } from './gate-options';

const MINUTE_MS = 60_000;

interface ThrottledRequest {
  caller?: Caller;
  method?: string;
  params?: { id?: unknown };
  body?: { target?: { userPrincipalName?: unknown } };
}

const targetOf = (req: ThrottledRequest): string | undefined => {
  // A SCIM push names its user by the path's id (an objectGUID); a SCIM lookup has no target.
  if (req.params?.id !== undefined) {
    const pushing = req.method === 'PUT' || req.method === 'PATCH';
    return pushing && typeof req.params.id === 'string' ? `scim:${req.params.id.toLowerCase()}` : undefined;
  }
  const upn = req.body?.target?.userPrincipalName;
  return typeof upn === 'string' ? messageKeyForTarget(upn) : undefined;
};

/**
 * Two limits on `POST /v1/operations` and SCIM's requests (ADR 0023 §6), each over a one-minute window: per caller (the token's
 * subject, so one noisy client cannot starve the others) and per target user, whoever asks
 * (so nobody can hammer one account's password). Counted per gate replica.
 */
export function operationThrottles(options: GateOptions): ThrottlerModuleOptions {
  return {
    throttlers: [
      {
        name: 'caller',
        ttl: MINUTE_MS,
        limit: options.callerRequestsPerMinute,
        skipIf: () => options.callerRequestsPerMinute === 0,
        getTracker: (req: ThrottledRequest) => `caller:${req.caller?.issuer ?? ''}|${req.caller?.subject ?? ''}`,
      },
      {
        name: 'target',
        ttl: MINUTE_MS,
        limit: options.targetRequestsPerMinute,
        // A body without a target is refused by validation right after; nothing to count.
        skipIf: (context) =>
          options.targetRequestsPerMinute === 0 || !targetOf(context.switchToHttp().getRequest<ThrottledRequest>()),
        getTracker: (req: ThrottledRequest) => `target:${targetOf(req) ?? ''}`,
      },
    ],
  };
}

/** The throttler's 429, with a standard `Retry-After` and a reason naming the limit that was hit. */
@Injectable()
export class OperationThrottleGuard extends ThrottlerGuard {
  protected override throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context
      .switchToHttp()
      .getResponse<{ setHeader(name: string, value: string): void }>()
      .setHeader('Retry-After', String(retryAfter));
    const which = detail.tracker.startsWith('target:') ? 'for this user' : 'from this caller';
    throw new HttpException(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `more than ${detail.limit} requests ${which} in a minute; retry after ${retryAfter} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
