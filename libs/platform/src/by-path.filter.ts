import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';

/**
 * Hands an HTTP error to the filter of the first path prefix it falls under, or to `fallback`. A
 * global filter, so it also sees errors raised before a route is reached (a body parser's),
 * which a controller's `@UseFilters` never does.
 */
@Catch()
export class ByPathExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly byPrefix: ReadonlyArray<readonly [string, ExceptionFilter]>,
    private readonly fallback: ExceptionFilter,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const path = host.getType() === 'http' ? host.switchToHttp().getRequest<{ path?: unknown }>().path : undefined;
    const own = typeof path === 'string' ? this.byPrefix.find(([prefix]) => path.startsWith(prefix)) : undefined;
    (own?.[1] ?? this.fallback).catch(exception, host);
  }
}
