import { backoffDelay } from '@writeback/domain';
import { Prisma, type Sql } from '@writeback/persistence';
import { setTimeout as delay } from 'node:timers/promises';
import type { BusLogger, MessageBus } from '../message-bus';

/** Waits between failed relay rounds: a broker or database away for a while is not hammered. */
const RELAY_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 };

const BATCH = 100;
const IDLE_POLL_MS = 500;

/** How a relay's round ended: a full batch sent (more may wait), all sent, or another replica's turn. */
type Round = 'more' | 'done' | 'busy';

export interface OutboxRelayOptions {
  /** The producer whose outbox rows this relay publishes. */
  producer: string;
  /**
   * How long the relay gathers announced messages before it takes a batch (default 0: at once).
   * For a producer whose messages nobody waits on: the audit service's records, which otherwise
   * go out in a round (three round trips) for every one or two of them (docs/benchmarks.md).
   */
  lingerMs?: number;
}

/**
 * Publishes a service's outbox in commit order, then deletes what was sent. One relay per
 * producer is active at a time (advisory lock), so key order survives several replicas; a
 * failed publish leaves the rows for the next round, so a message may be published twice but
 * never lost (consumers deduplicate by eventId). Runs from `start()` until `stop()`.
 */
export class OutboxRelay {
  private readonly producer: string;
  private readonly lingerMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current idle wait early (a kick, or `stop`). */
  private wake: (() => void) | undefined;
  /** A commit announced while a batch was being published: look again at once instead of idling. */
  private kicked = false;

  constructor(
    private readonly sql: Sql,
    private readonly bus: MessageBus,
    private readonly logger: BusLogger,
    options: OutboxRelayOptions,
  ) {
    this.producer = options.producer;
    this.lingerMs = options.lingerMs ?? 0;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the round in progress, if any. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Called after a commit that wrote to the outbox, so publishing starts at once. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Rows are likely waiting: at start, after a kick, a full batch, a failure, or a busy lock.
    let expecting = true;
    while (this.running) {
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

  /** Waits `ms`, or less when kicked or stopped. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * Whether the producer has queued messages nobody announced (another replica's, left when it
   * stopped): an idle round's one round trip, where taking a batch costs three.
   */
  private async anyQueued(): Promise<boolean> {
    const [row] = await this.sql.query<{ queued: boolean }>(Prisma.sql`
      SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE producer = ${this.producer}) AS queued`);
    return row?.queued === true;
  }

  /**
   * Publishes one batch: 'more' when more may be waiting, 'busy' when another relay of the
   * producer holds its lock. On the PostgreSQL transport (the embedded default) the bus is a
   * table of this database, and one statement moves the batch (`MessageBus.drainOutbox`).
   * Elsewhere three round trips: the batch is taken (deleted and returned) under the producer's
   * lock in one statement, published, and the deletion committed; a failed publish rolls it
   * back, so the rows stay for the next round.
   */
  private async drainOnce(): Promise<Round> {
    if (this.bus.drainOutbox) {
      const { locked, moved } = await this.bus.drainOutbox(this.producer, BATCH);
      if (!locked) return 'busy';
      return moved === BATCH ? 'more' : 'done';
    }
    return this.sql.transaction(async (tx) => {
      const taken = await tx.query<{
        locked: boolean;
        id: bigint | null;
        topic: string;
        key: string;
        headers: Record<string, string>;
        value: string;
      }>(Prisma.sql`
        WITH relay AS (SELECT pg_try_advisory_xact_lock(hashtext(${`outbox:${this.producer}`})) AS locked),
        batch AS (
          DELETE FROM outbox_messages o
           USING (SELECT id FROM outbox_messages
                   WHERE producer = ${this.producer} AND (SELECT locked FROM relay)
                   ORDER BY id LIMIT ${BATCH}) next
           WHERE o.id = next.id
          RETURNING o.id, o.topic, o.key, o.headers, o.value)
        SELECT relay.locked, batch.* FROM relay LEFT JOIN batch ON true ORDER BY batch.id`);
      if (!taken[0]?.locked) return 'busy';
      const rows = taken.filter((r) => r.id !== null);
      if (rows.length === 0) return 'done';
      await this.bus.publish(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers })));
      return rows.length === BATCH ? 'more' : 'done';
    });
  }
}
