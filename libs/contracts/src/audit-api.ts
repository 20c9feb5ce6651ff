/**
 * One stored audit record as the audit service's API answers it (`GET /v1/audit/records`,
 * `docs/openapi/audit-service.json`). Not audit-ledger's `AuditEntry`, which is what is appended
 * to a chain.
 */
export interface AuditRecordView {
  /** Position in the audit log; also the pagination cursor. */
  recordId: string;
  /** This record's hash in its domain's chain (`writeback audit verify`). */
  hash: string;
  eventId: string;
  operationId: string;
  type: string;
  domainId: string | null;
  targetUpn: string | null;
  occurredAt: string;
  recordedAt: string;
  correlationId: string;
  causationId: string | null;
  traceparent: string | null;
  data: unknown;
}
