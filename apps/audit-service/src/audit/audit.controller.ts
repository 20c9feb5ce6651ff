import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ZodBody } from '@writeback/platform';
import { stringify } from 'csv-stringify/sync';
import { AuditQuery, AuditRepository, type AuditEntry } from './audit.repository';

@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  /**
   * Records by operation, user, domain, outcome and time range, a page at a time
   * (`nextCursor`); `format=csv` exports the page as CSV with the cursor in `X-Next-Cursor`.
   */
  @Get('records')
  async records(
    @Query(new ZodBody(AuditQuery)) query: AuditQuery,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
  ): Promise<{ items: AuditEntry[]; nextCursor: string | null } | string> {
    const page = await this.audit.query(query);
    if (query.format === 'json') return page;
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    if (page.nextCursor) response.setHeader('x-next-cursor', page.nextCursor);
    return stringify(
      page.items.map((e) => {
        const data = e.data as { reason?: { code?: string }; caller?: { subject?: string } };
        return {
          recordId: e.recordId,
          occurredAt: e.occurredAt,
          operationId: e.operationId,
          type: e.type,
          domainId: e.domainId ?? '',
          targetUpn: e.targetUpn ?? '',
          reasonCode: data.reason?.code ?? '',
          caller: data.caller?.subject ?? '',
          traceparent: e.traceparent ?? '',
          eventId: e.eventId,
        };
      }),
      { header: true },
    );
  }

  /** Who changed the domain's configuration, when, from what to what. */
  @Get('domains/:id/changes')
  async domainChanges(@Param('id') id: string): Promise<{ domainId: string; changes: AuditEntry[] }> {
    return { domainId: id, changes: await this.audit.domainChanges(id) };
  }

  /** The operation's full history, in the order it happened. */
  @Get('operations/:id')
  async operation(
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<{ operationId: string; events: AuditEntry[] }> {
    const events = await this.audit.history(id);
    if (events.length === 0) throw new NotFoundException(`no audit record for operation ${id}`);
    return { operationId: id, events };
  }
}
