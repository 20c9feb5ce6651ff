import { Caller, OperationStatus, type OperationSummary, type OperationView } from '@writeback/contracts';

/** The projection's columns a view shows, as `operations` holds them. */
export interface ViewRow {
  id: string;
  status: string;
  kind: string;
  channel: string;
  target_upn: string;
  domain_id: string | null;
  caller: unknown;
  reason_code: string | null;
  reason_message: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

/** The columns of a `ViewRow`, for a SELECT. */
export const VIEW_COLUMNS =
  'id::text, status, kind, channel, target_upn, domain_id, caller, reason_code, reason_message, created_at, updated_at, completed_at';

export function toSummary(row: ViewRow): OperationSummary {
  return {
    operationId: row.id,
    status: OperationStatus.parse(row.status),
    kind: row.kind,
    channel: row.channel,
    targetUpn: row.target_upn,
    domainId: row.domain_id,
    caller: Caller.parse(row.caller),
    reason: row.reason_code ? { code: row.reason_code, message: row.reason_message ?? '' } : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

export function toView(row: ViewRow, history: ReadonlyArray<{ type: string; occurredAt: string }>): OperationView {
  return {
    ...toSummary(row),
    history: history.map((h) => ({ type: h.type, occurredAt: new Date(h.occurredAt).toISOString() })),
  };
}
