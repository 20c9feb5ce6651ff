import { Inject, Injectable, Optional } from '@nestjs/common';
import { backoffDelay } from '@writeback/domain';
import type { MessageBus, OutgoingMessage } from '@writeback/messaging';
import type { Logger } from '@writeback/observability';
import { Prisma, type PrismaClient } from '@writeback/persistence';
import { setTimeout as delay } from 'node:timers/promises';
import { BackgroundLoop } from './background-loop';
import { PRISMA } from './prisma.module';
import { BUS, LOGGER } from './tokens';

/** Waits between failed relay rounds: a broker or database away for a while is not hammered. */
const RELAY_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 };

export const OUTBOX_PRODUCER = Symbol('OutboxProducer');
/**
 * How long a relay gathers announced messages before it takes a batch (default 0: at once). For
 * a producer whose messages nobody waits on: the audit service's records, which otherwise go
 * out in a round (three round trips) for every one or two of them (docs/benchmarks.md).
 */
export const OUTBOX_LINGER_MS = Symbol('OutboxLingerMs');

const BATCH = 100;
const IDLE_POLL_MS = 500;

/** How a relay's round ended: a full batch sent (more may wait), all sent, or another replica's turn. */
type Round = 'more' | 'done' | 'busy';

/** Adds messages to the outbox inside the caller's transaction, next to its state change. */
export async function writeOutbox(
  tx: Prisma.TransactionClient,
  producer: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  await tx.outboxMessage.createMany({
    data: messages.map((m) => ({ producer, topic: m.topic, key: m.key, headers: m.headers ?? {}, value: m.value })),
  });
}

/**
 * A JSON field of every message's value, set in SQL to a value the statement itself computes
 * (e.g. an id PostgreSQL assigns to the row the message announces). `path` names the field as
 * PostgreSQL's `jsonb_set` does; `to` is any SQL expression, stored as a JSON string.
 */
export interface OutboxFill {
  path: readonly string[];
  to: Prisma.Sql;
}

/**
 * The same insert as one statement for a `WITH` clause, so a writer can commit its change and
 * its messages in a single round trip (a statement is atomic on its own). Messages keep their
 * order: the relay publishes by id.
 */
export function outboxInsert(
  producer: string,
  messages: readonly OutgoingMessage[],
  /** A condition on the rest of the statement, e.g. `EXISTS (SELECT 1 FROM inserted)`. */
  onlyIf: Prisma.Sql = Prisma.sql`true`,
  fill?: OutboxFill,
): Prisma.Sql {
  const rows = JSON.stringify(
    messages.map((m) => ({ topic: m.topic, key: m.key, headers: m.headers ?? {}, value: m.value })),
  );
  const value = fill
    ? Prisma.sql`jsonb_set((m.value->>'value')::jsonb, ${[...fill.path]}::text[], to_jsonb((${fill.to})::text))::text`
    : Prisma.sql`m.value->>'value'`;
  return Prisma.sql`
    INSERT INTO outbox_messages (producer, topic, key, headers, value)
    SELECT ${producer}, m.value->>'topic', m.value->>'key', m.value->'headers', ${value}
      FROM jsonb_array_elements(${rows}::jsonb) WITH ORDINALITY AS m(value, position)
     WHERE ${onlyIf}
     ORDER BY m.position`;
}

/**
 * Publishes a service's outbox in commit order, then deletes what was sent. One relay per
 * producer is active at a time (advisory lock), so key order survives several replicas; a
 * failed publish leaves the rows for the next round, so a message may be published twice but
 * never lost (consumers deduplicate by eventId).
 */
@Injectable()
export class OutboxRelay extends BackgroundLoop {
  /** A commit announced while a batch was being published: look again at once instead of idling. */
  private kicked = false;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(OUTBOX_PRODUCER) private readonly producer: string,
    @Optional() @Inject(OUTBOX_LINGER_MS) private readonly lingerMs: number = 0,
  ) {
    super();
  }

  /** Called after a commit that wrote to the outbox, so publishing starts at once. */
  kick(): void {
    this.kicked = true;
    this.wakeUp();
  }

  protected async run(): Promise<void> {
    let failures = 0;
    // Rows are likely waiting: at start, after a kick, a full batch, a failure, or a busy lock.
    let expecting = true;
    while (this.active) {
      try {
        // Announced, not already known to be waiting (a full batch, a failure): gather for a moment.
        if (this.kicked && !expecting && this.lingerMs > 0) await delay(this.lingerMs);
        expecting ||= this.kicked;
        this.kicked = false;
        const round: Round = expecting || (await this.anyQueued()) ? await this.drainOnce() : 'done';
        failures = 0;
        expecting = round !== 'done';
        // Another replica's relay is publishing: let it, rather than asking again at once
        // (a kick does not cut this wait short), and without holding a transaction meanwhile.
        if (round === 'busy') await delay(IDLE_POLL_MS);
        else if (round === 'done' && !this.kicked) await this.idle(IDLE_POLL_MS);
      } catch (error) {
        failures++;
        expecting = true;
        const wait = backoffDelay(failures - 1, RELAY_BACKOFF);
        this.logger.warn({ err: error, failures, wait }, 'outbox publish failed; will retry');
        await this.idle(wait);
      }
    }
  }

  /**
   * Whether the producer has queued messages nobody announced (another replica's, left when it
   * stopped): an idle round's one round trip, where taking a batch costs three.
   */
  private async anyQueued(): Promise<boolean> {
    const [row] = await this.prisma.$queryRaw<Array<{ queued: boolean }>>`
      SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE producer = ${this.producer}) AS queued`;
    return row?.queued === true;
  }

  /**
   * Publishes one batch: 'more' when more may be waiting, 'busy' when another relay of the
   * producer holds its lock. On the PostgreSQL transport (the embedded default) the bus is a
   * table of this database, and one statement moves the batch (`MessageBus.drainOutbox`).
   * Elsewhere three round trips: the batch is taken
   * (deleted and returned) under the producer's lock in one statement, published, and the
   * deletion committed; a failed publish rolls it back, so the rows stay for the next round.
   */
  private async drainOnce(): Promise<Round> {
    if (this.bus.drainOutbox) {
      // The bus is a table of this database: one statement moves the batch (embedded default).
      const { locked, moved } = await this.bus.drainOutbox(this.producer, BATCH);
      if (!locked) return 'busy';
      return moved === BATCH ? 'more' : 'done';
    }
    return this.prisma.$transaction(
      async (tx) => {
        const taken = await tx.$queryRaw<
          Array<{
            locked: boolean;
            id: bigint | null;
            topic: string;
            key: string;
            headers: Record<string, string>;
            value: string;
          }>
        >`
          WITH relay AS (SELECT pg_try_advisory_xact_lock(hashtext(${`outbox:${this.producer}`})) AS locked),
          batch AS (
            DELETE FROM outbox_messages o
             USING (SELECT id FROM outbox_messages
                     WHERE producer = ${this.producer} AND (SELECT locked FROM relay)
                     ORDER BY id LIMIT ${BATCH}) next
             WHERE o.id = next.id
            RETURNING o.id, o.topic, o.key, o.headers, o.value)
          SELECT relay.locked, batch.* FROM relay LEFT JOIN batch ON true ORDER BY batch.id`;
        if (!taken[0]?.locked) return 'busy';
        const rows = taken.filter((r) => r.id !== null);
        if (rows.length === 0) return 'done';
        await this.bus.publish(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers })));
        return rows.length === BATCH ? 'more' : 'done';
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
  }
}
