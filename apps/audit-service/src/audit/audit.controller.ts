import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { z } from 'zod';
import { BearerAuthGuard, READER_SCOPES, RequireScope, Scopes, ZodBody } from '@writeback/platform';
import { stringify } from 'csv-stringify/sync';
import { AuditQuery, AuditRepository, Instant, type AuditRecordView } from './audit.repository';
import { RetentionService } from './retention.service';

/** The CSV export's columns, in order: also the header of a page with no record. */
const CSV_COLUMNS = [
  'recordId',
  'occurredAt',
  'operationId',
  'type',
  'domainId',
  'targetUpn',
  'reasonCode',
  'caller',
  'traceparent',
  'eventId',
];

/** The body is optional: no body runs retention as of now. */
export const RetentionRun = z.object({ asOf: Instant.optional() }).strict().default({});
type RetentionRun = z.infer<typeof RetentionRun>;

/** The audit trail names users, initiators and callers: readers only (auditors and operators). */
@Controller('v1/audit')
@UseGuards(BearerAuthGuard)
@RequireScope(...READER_SCOPES)
export class AuditController {
  constructor(
    private readonly audit: AuditRepository,
    private readonly retention: RetentionService,
  ) {}

  /**
   * Records by operation, user, domain, outcome and time range, a page at a time
   * (`nextCursor`); `format=csv` exports the page as CSV with the cursor in `X-Next-Cursor`.
   */
  @Get('records')
  async records(
    @Query(new ZodBody(AuditQuery)) query: AuditQuery,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
  ): Promise<{ items: AuditRecordView[]; nextCursor: string | null } | string> {
    const page = await this.audit.query(query);
    if (query.format === 'json') return page;
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    if (page.nextCursor) response.setHeader('x-next-cursor', page.nextCursor);
    // Every row names its operation's caller, though only the request's record carries it.
    const callers = await this.audit.callersOf(page.items.map((e) => e.operationId));
    return stringify(
      page.items.map((e) => {
        const data = e.data as { reason?: { code?: string } };
        return {
          recordId: e.recordId,
          occurredAt: e.occurredAt,
          operationId: e.operationId,
          type: e.type,
          domainId: e.domainId ?? '',
          targetUpn: e.targetUpn ?? '',
          reasonCode: data.reason?.code ?? '',
          caller: callers.get(e.operationId)?.subject ?? '',
          traceparent: e.traceparent ?? '',
          eventId: e.eventId,
        };
      }),
      { header: true, columns: CSV_COLUMNS },
    );
  }

  /**
   * Applies each domain's retention now (it also runs hourly); `asOf` evaluates it at
   * another instant. Operators only: it removes audit records.
   */
  @Post('retention/run')
  @HttpCode(200)
  @RequireScope(Scopes.operator)
  async runRetention(
    @Body(new ZodBody(RetentionRun)) body: RetentionRun,
  ): Promise<{ removed: Record<string, number> }> {
    return { removed: await this.retention.run(body.asOf ?? new Date()) };
  }

  /** Who changed the domain's configuration, when, from what to what. */
  @Get('domains/:id/changes')
  async domainChanges(@Param('id') id: string): Promise<{ domainId: string; changes: AuditRecordView[] }> {
    return { domainId: id, changes: await this.audit.domainChanges(id) };
  }

  /** The operation's full history, in the order it happened. */
  @Get('operations/:id')
  async operation(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<{ operationId: string; events: AuditRecordView[] }> {
    const events = await this.audit.history(id);
    if (events.length === 0) throw new NotFoundException(`no audit record for operation ${id}`);
    return { operationId: id, events };
  }
}
