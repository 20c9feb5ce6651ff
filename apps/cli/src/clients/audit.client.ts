import type { ServiceClient } from '../services';
import { queryString } from './gate.client';

import type { AuditRecordView } from '@writeback/contracts';

export type { AuditRecordView };

/** The audit API's record filters, as it names them. */
export interface AuditFilter {
  operationId?: string;
  targetUpn?: string;
  domainId?: string;
  outcome?: 'applied' | 'rejected' | 'failed';
  type?: string;
  from?: string;
  to?: string;
}

/**
 * How many CSV lines (records, header included) a text holds: line ends outside quotes. A
 * doubled quote inside a quoted field toggles twice, so it changes nothing.
 */
export function csvLineCount(csv: string): number {
  let lines = 0;
  let quoted = false;
  for (const char of csv) {
    if (char === '"') quoted = !quoted;
    else if (char === '\n' && !quoted) lines += 1;
  }
  return lines;
}

/** The audit service's API for the CLI, typed. */
export class AuditClient {
  constructor(private readonly http: ServiceClient) {}

  /** One page of records, oldest first, after `cursor`. */
  async records(
    filter: AuditFilter,
    page: { cursor?: string; limit: number },
  ): Promise<{ items: AuditRecordView[]; nextCursor: string | null }> {
    return this.http.get('auditUrl', `/v1/audit/records${queryString({ ...filter, ...page })}`);
  }

  /** One page as the service writes it in CSV (header line first), and where the next starts. */
  async recordsCsv(
    filter: AuditFilter,
    page: { cursor?: string; limit: number },
  ): Promise<{ csv: string; recordCount: number; nextCursor: string | null }> {
    const { headers, text } = await this.http.send(
      'auditUrl',
      'GET',
      `/v1/audit/records${queryString({ ...filter, ...page, format: 'csv' })}`,
      { accept: 'text/csv' },
    );
    return { csv: text, recordCount: Math.max(0, csvLineCount(text) - 1), nextCursor: headers.get('x-next-cursor') };
  }

  /** An operation's full history, in order. */
  async operationHistory(operationId: string): Promise<AuditRecordView[]> {
    return (
      await this.http.get<{ events: AuditRecordView[] }>(
        'auditUrl',
        `/v1/audit/operations/${encodeURIComponent(operationId)}`,
      )
    ).events;
  }

  /** Who changed a domain's configuration, oldest first. */
  async domainChanges(domainId: string): Promise<AuditRecordView[]> {
    return (
      await this.http.get<{ changes: AuditRecordView[] }>(
        'auditUrl',
        `/v1/audit/domains/${encodeURIComponent(domainId)}/changes`,
      )
    ).changes;
  }
}
