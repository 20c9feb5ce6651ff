import { Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { AuditRepository, type AuditEntry } from './audit.repository';

@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

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
