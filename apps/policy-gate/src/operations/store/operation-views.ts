import { Inject, Injectable } from '@nestjs/common';
import { operationCursor, type OperationPage, type OperationQuery, type OperationView } from '@writeback/contracts';
import { Prisma, type Sql } from '@writeback/persistence';
import { SQL } from '@writeback/platform';
import { toSummary, toView, VIEW_COLUMNS, type ViewRow } from './view-rows';

const viewColumns = Prisma.raw(VIEW_COLUMNS);

/** A UTC instant as the projection stores it (`timestamp(3)` in UTC, without a zone). */
const utc = (at: Date): Prisma.Sql => Prisma.sql`${at.toISOString()}::timestamptz AT TIME ZONE 'UTC'`;

/**
 * `GET /v1/operations` in one statement: a page and one row more (is there a next page?). The
 * keyset walks `operations_created_at_id_idx` from the cursor, newest first, with no sort; the
 * other filters are checked on the rows it reads.
 */
export function listStatement(filter: OperationQuery): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (filter.domainId) conditions.push(Prisma.sql`domain_id = ${filter.domainId}`);
  if (filter.status) conditions.push(Prisma.sql`status = ${filter.status}`);
  if (filter.reasonCode) conditions.push(Prisma.sql`reason_code = ${filter.reasonCode}`);
  if (filter.targetUpn) conditions.push(Prisma.sql`lower(target_upn) = lower(${filter.targetUpn})`);
  if (filter.since) conditions.push(Prisma.sql`created_at >= ${utc(filter.since)}`);
  if (filter.cursor) {
    conditions.push(
      Prisma.sql`(created_at, id) < (${utc(filter.cursor.createdAt)}, ${filter.cursor.operationId}::uuid)`,
    );
  }
  return Prisma.sql`
    SELECT ${viewColumns} FROM operations
     WHERE ${conditions.length > 0 ? Prisma.join(conditions, ' AND ') : Prisma.sql`true`}
     -- Qualified: the columns, not the text the SELECT makes of the id.
     ORDER BY operations.created_at DESC, operations.id DESC
     LIMIT ${filter.limit + 1}`;
}

/**
 * The gate's read model: what `GET /v1/operations[/:id]` answers and which operations have
 * ended, from the projection the store writes with every append. Queries only.
 */
@Injectable()
export class OperationViews {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  /** What `GET /v1/operations/:id` answers: the projection and its history, in one round trip. */
  async view(operationId: string): Promise<OperationView | null> {
    const [op] = await this.sql.query<ViewRow & { types: string[]; occurred: string[] }>(Prisma.sql`
      SELECT ${viewColumns}, h.types, h.occurred
        FROM operations o
        CROSS JOIN LATERAL (
          SELECT COALESCE(array_agg(e.type ORDER BY e.sequence), '{}') AS types,
                 -- Stored in UTC without a zone: written out as UTC.
                 COALESCE(array_agg(to_char(e.occurred_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ORDER BY e.sequence), '{}')
                   AS occurred
            FROM operation_events e WHERE e.operation_id = o.id) h
       WHERE o.id = ${operationId}::uuid`);
    if (!op) return null;
    return toView(
      op,
      op.types.map((type, i) => ({ type, occurredAt: op.occurred[i] ?? '' })),
    );
  }

  /** Operations matching every filter, newest first, after `cursor` (where the last page ended). */
  async list(filter: OperationQuery): Promise<OperationPage> {
    const rows = await this.sql.query<ViewRow>(listStatement(filter));
    const page = rows.slice(0, filter.limit).map(toSummary);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: rows.length > filter.limit && last ? operationCursor(last.createdAt, last.operationId) : null,
    };
  }

  /** Which of these operations have ended (by the projection, whoever recorded the end). */
  async ended(operationIds: readonly string[]): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(Prisma.sql`
      SELECT id::text FROM operations
       WHERE id = ANY(${operationIds}::uuid[]) AND status IN ('applied', 'rejected', 'failed')`);
    return rows.map((r) => r.id);
  }
}
