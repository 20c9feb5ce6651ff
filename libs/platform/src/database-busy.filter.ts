import { type ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { DatabaseBusy } from '@writeback/persistence';

/**
 * A burst larger than the database pool is an overload, not a fault: callers get 503 with
 * Retry-After and try again, instead of a 500 they would treat as a failure.
 */
@Catch()
export class DatabaseBusyFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (!(exception instanceof DatabaseBusy) || host.getType() !== 'http') {
      super.catch(exception, host);
      return;
    }
    const http = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (!http) {
      super.catch(exception, host);
      return;
    }
    http.setHeader(response, 'Retry-After', '1');
    http.reply(
      response,
      { statusCode: 503, error: 'Service Unavailable', message: 'busy: retry after 1 second' },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
