import { Prisma } from './generated/prisma/client';
import type { Sql } from './sql';

/**
 * The claim and the deadline of ADR 0011, the only SQL on `operation_deadlines`: the gate
 * inserts a pending row when it accepts an operation, expires it when its deadline passes, and
 * closes it when the operation ends; the executor claims it before writing the directory. Expiry
 * and claim are each one compare-and-set on PostgreSQL's clock, so whichever commits first wins
 * and no replica's clock has a say.
 */
export type DeadlineClaim = 'claimed' | 'expired' | 'unknown';

/**
 * A CTE body (`WITH deadline AS (...)`) that starts the operation's deadline `seconds` from now,
 * when `when` holds; for the gate's append, which commits it with the operation's events.
 */
export function deadlineInsert(operationId: string, seconds: number | null, when: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
        INSERT INTO operation_deadlines (operation_id, deadline)
        SELECT ${operationId}::uuid, now() + make_interval(secs => ${seconds}::double precision)
         WHERE ${when}
        RETURNING 1`;
}

/** A CTE body that closes the operation's pending deadline when `when` holds (it ended in time). */
export function deadlineClose(operationId: string, when: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
        UPDATE operation_deadlines SET state = 'closed', settled_at = now()
         WHERE operation_id = ${operationId}::uuid AND state = 'pending' AND ${when}
        RETURNING 1`;
}

/**
 * Operations whose deadline passed while no executor had claimed them, oldest first. A
 * candidate only: `expireDeadline` settles each one against a concurrent claim.
 */
export async function overdueDeadlines(db: Sql, limit: number): Promise<string[]> {
  const rows = await db.query<{ operation_id: string }>(Prisma.sql`
    SELECT operation_id::text FROM operation_deadlines
     WHERE state = 'pending' AND deadline <= now()
     ORDER BY deadline LIMIT ${limit}`);
  return rows.map((r) => r.operation_id);
}

/**
 * The gate's side of the compare-and-set: true when the deadline was pending and has passed, so
 * the gate may report the operation failed; false when an executor claimed it first (or the
 * deadline was already settled).
 */
export async function expireDeadline(db: Sql, operationId: string): Promise<boolean> {
  const settled = await db.execute(Prisma.sql`
    UPDATE operation_deadlines SET state = 'expired', settled_at = now()
     WHERE operation_id = ${operationId}::uuid AND state = 'pending' AND deadline <= now()`);
  return settled > 0;
}

/**
 * The executor's side, before anything is written to the directory: from then on the gate will
 * not end the operation by its deadline, and if the deadline passed first, nobody may write it.
 * Only a pending row, or one an earlier try of this operation claimed, lets the write go ahead:
 * no row means the gate never accepted the operation (a forged or foreign command), and the
 * absence of a check must never count as permission to write.
 */
export async function claimDeadline(db: Sql, operationId: string): Promise<DeadlineClaim> {
  const claimed = await db.execute(Prisma.sql`
    UPDATE operation_deadlines SET state = 'claimed', settled_at = COALESCE(settled_at, now())
     WHERE operation_id = ${operationId}::uuid
       AND (state = 'claimed' OR (state = 'pending' AND now() < deadline))`);
  if (claimed === 1) return 'claimed';
  const [row] = await db.query<{ known: boolean }>(Prisma.sql`
    SELECT true AS known FROM operation_deadlines WHERE operation_id = ${operationId}::uuid`);
  return row ? 'expired' : 'unknown';
}
