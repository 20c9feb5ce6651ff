import { Inject, Injectable } from '@nestjs/common';
import { EventEnvelope } from '@writeback/contracts';
import type { KeptPasswordVersion } from '@writeback/domain';
import { eventMessage, OutboxRelay, outboxInsert, writeOutbox } from '@writeback/messaging';
import { claimDeadline, Prisma, type DeadlineClaim, type Sql } from '@writeback/persistence';
import { SQL } from '@writeback/platform';

export const EXECUTOR_PRODUCER = 'writeback-executor';

/**
 * What this domain's executors did per operation. The outcome and its event commit together
 * (outbox), so an applied password is always announced, and a command seen again is answered
 * with the very same event instead of a second write.
 */
@Injectable()
export class OutcomesRepository {
  constructor(
    @Inject(SQL) private readonly sql: Sql,
    private readonly outbox: OutboxRelay,
  ) {}

  async find(operationId: string): Promise<EventEnvelope | null> {
    const [row] = await this.sql.query<{ event: unknown }>(Prisma.sql`
      SELECT event FROM executor_outcomes WHERE operation_id = ${operationId}::uuid`);
    return row ? EventEnvelope.parse(row.event) : null;
  }

  /**
   * Records the outcome and queues its event in one statement; a second outcome for the same
   * operation (a redelivered command's) is neither recorded nor announced.
   */
  async record(operationId: string, domainId: string, outcome: EventEnvelope): Promise<void> {
    await this.sql.execute(Prisma.sql`
      WITH recorded AS (
        INSERT INTO executor_outcomes (operation_id, domain_id, event)
        VALUES (${operationId}::uuid, ${domainId}, ${JSON.stringify(outcome)}::jsonb)
        ON CONFLICT (operation_id) DO NOTHING
        RETURNING 1
      ), announced AS (${outboxInsert(EXECUTOR_PRODUCER, [eventMessage(outcome)], Prisma.sql`EXISTS (SELECT 1 FROM recorded)`)}
      ), forgotten AS (
        -- The outcome now answers any redelivery; the pre-write count has done its job.
        DELETE FROM executor_writes WHERE operation_id = ${operationId}::uuid
      )
      SELECT 1`);
    this.outbox.kick();
  }

  /** The claim of ADR 0011, before anything is written to the directory (see `claimDeadline`). */
  claim(operationId: string): Promise<DeadlineClaim> {
    return claimDeadline(this.sql, operationId);
  }

  /**
   * Keeps the directory's count of the user's password writes as read before this operation's
   * first write, and returns the count an earlier try kept (as it was before this call), for
   * `decidePasswordWrite`: a later try (after a crash or a lost answer) that finds the count
   * raised knows the write happened. A count read on another user (the account renamed or
   * moved) replaces it; without a count there is nothing to keep.
   */
  async keepPasswordVersion(
    operationId: string,
    dn: string,
    version: number | null,
  ): Promise<KeptPasswordVersion | null> {
    if (version === null) return null;
    // One round trip: the count kept by an earlier try (as it was before this statement), and
    // this count kept unless an earlier try kept one for the same user.
    const [kept] = await this.sql.query<{ user_dn: string | null; version_before: number | null }>(Prisma.sql`
      WITH kept AS (
        SELECT user_dn, version_before FROM executor_writes WHERE operation_id = ${operationId}::uuid
      ), keeping AS (
        INSERT INTO executor_writes (operation_id, user_dn, version_before)
        VALUES (${operationId}::uuid, ${dn}, ${version})
        ON CONFLICT (operation_id) DO UPDATE SET user_dn = EXCLUDED.user_dn, version_before = EXCLUDED.version_before
         WHERE executor_writes.user_dn IS DISTINCT FROM EXCLUDED.user_dn
      )
      SELECT (SELECT user_dn FROM kept) AS user_dn, (SELECT version_before FROM kept) AS version_before`);
    return kept?.user_dn && kept.version_before !== null
      ? { userDn: kept.user_dn, versionBefore: kept.version_before }
      : null;
  }

  /** Publishes a recorded outcome again; consumers deduplicate it by its eventId. */
  async republish(outcome: EventEnvelope): Promise<void> {
    await writeOutbox(this.sql, EXECUTOR_PRODUCER, [eventMessage(outcome)]);
    this.outbox.kick();
  }
}
