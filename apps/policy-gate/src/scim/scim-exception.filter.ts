import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { WritebackError } from '@writeback/contracts';
import type { Logger } from '@writeback/observability';
import { LOGGER } from '@writeback/platform';
import { Types } from 'scimmy';
import { ScimFailure } from './scim-errors';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Reply {
  status(code: number): Reply;
  setHeader(name: string, value: string): void;
  getHeader(name: string): unknown;
  type(value: string): Reply;
  send(body: string): void;
}

/** What replaces SCIMMY's own messages, which may quote the request (a filter, a password's type). */
const FIXED_DETAIL: Record<string, string> = {
  invalidFilter: 'the filter is not valid; only userName eq "<value>" is supported',
  invalidSyntax: 'the request body is not a valid SCIM message',
  invalidPath: 'the PATCH path is not an attribute Writeback serves',
  noTarget: 'the PATCH path matched no value',
  invalidValue: 'a value in the request is not valid for its attribute',
  mutability: 'Writeback changes only the password; every other attribute is read-only',
  uniqueness: 'the value is not unique',
  tooMany: 'the request would return too many results',
  invalidVers: 'the SCIM version is not supported',
  sensitive: 'the request carries sensitive information in its URI',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'the request body is not valid JSON',
  401: 'authentication is required: a bearer token',
  403: 'the token is not allowed to do this',
  404: 'not found',
  405: 'method not allowed',
  413: 'the request body is too large',
  415: 'the request body must be application/scim+json or application/json',
};

/**
 * Every failure on `/scim/v2` as RFC 7644 §3.12's error body. Logs the status, `scimType` and the
 * error's class, never its message: SCIMMY's may quote what the client sent.
 */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    const { status, scimType, detail } = this.describe(exception);
    if (status === 503 && !reply.getHeader('Retry-After')) reply.setHeader('Retry-After', '5');
    // A route that takes more than GET has said which (discovery takes GET alone).
    if (status === 405 && !reply.getHeader('Allow')) reply.setHeader('Allow', 'GET, HEAD');
    const log = status >= 500 ? this.logger.warn.bind(this.logger) : this.logger.debug.bind(this.logger);
    log(
      { status, scimType, error: exception instanceof Error ? exception.constructor.name : typeof exception },
      'scim error',
    );
    // By hand: SCIMMY's ErrorResponse refuses 405, 429 and 503, which SCIM clients must be told.
    const body = { schemas: [SCIM_ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail };
    reply.status(status).type('application/scim+json').send(JSON.stringify(body));
  }

  private describe(exception: unknown): { status: number; scimType: string | null; detail: string } {
    if (exception instanceof ScimFailure) {
      return { status: exception.status, scimType: exception.scimType ?? null, detail: exception.message };
    }
    if (exception instanceof Types.Error) {
      const scimType = exception.scimType ?? null;
      const detail = (scimType && FIXED_DETAIL[scimType]) ?? STATUS_TEXT[exception.status] ?? 'the request failed';
      return { status: exception.status, scimType, detail };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      // Our guards' (a SCIM body already) and the throttler's texts; Nest's own (a body parser's) are replaced.
      const said = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
      const message = typeof said['detail'] === 'string' ? said['detail'] : said['message'];
      const ours = status === 401 || status === 403 || status === 429;
      const detail = ours && typeof message === 'string' ? message : (STATUS_TEXT[status] ?? 'the request failed');
      return { status, scimType: status === 400 ? 'invalidSyntax' : null, detail };
    }
    if (exception instanceof WritebackError && exception.retriable) {
      return { status: 503, scimType: null, detail: 'Writeback is busy; retry shortly' };
    }
    return { status: 500, scimType: null, detail: 'internal error' };
  }
}
