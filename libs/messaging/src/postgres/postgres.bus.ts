import { Pool, type PoolClient } from 'pg';
import { metrics } from '@writeback/observability';
import { classifyDatabaseError } from '@writeback/persistence';
import { DEFAULT_RETRY, DeliveryAborted, deliver, type RetryPolicy } from '../delivery';
import type {
  BusLogger,
  MessageBus,
  OutgoingMessage,
  Subscription,
  SubscriptionSpec,
  TopicSpec,
  TopicsEnsured,
} from '../message-bus';
import { sendInSpans } from '../telemetry';

export interface PostgresBusOptions {
  connectionString: string;
  logger: BusLogger;
  /** Fallback poll when a notification is missed. */
  pollIntervalMs?: number;
  /** Keys a consumer handles at once (each key's messages stay in order); default 1. */
  concurrency?: number;
  retry?: RetryPolicy;
}

const CHANNEL = 'writeback_bus';
/** Serialises publishers so that offset order is commit order and no consumer skips a row. */
const PUBLISH_LOCK = 0x77_62_70_75;
const BATCH = 100;
const SYSTEM = 'writeback-postgres-log';

interface Row {
  offset: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  value: string;
}

/** A batch's messages by key (per topic), each key's in offset order. */
function chainsByKey(batch: readonly Row[]): Row[][] {
  const chains = new Map<string, Row[]>();
  for (const row of batch) {
    const key = `${row.topic}\u0000${row.key}`;
    const chain = chains.get(key);
    if (chain) chain.push(row);
    else chains.set(key, [row]);
  }
  return [...chains.values()];
}

/**
 * The embedded transport: a durable log in PostgreSQL with per-group committed offsets.
 * One active consumer per group (an advisory lock), which keeps every key in order; other
 * instances of the group stand by and take over when it goes away.
 */
export class PostgresBus implements MessageBus {
  private readonly pool: Pool;
  private readonly stoppers = new Set<() => Promise<void>>();
  /** Topics each group has seen, so their lag can be reported back to 0. */
  private readonly lagTopics = new Map<string, Set<string>>();

  constructor(private readonly options: PostgresBusOptions) {
    this.pool = new Pool({ connectionString: options.connectionString, max: 10 });
    this.pool.on('error', (err) => options.logger.error({ err }, 'postgres bus pool error'));
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await sendInSpans(SYSTEM, messages, (traced) => this.append(traced)).catch((error: unknown) => {
      throw classifyDatabaseError(error);
    });
  }

  /**
   * One statement, so one round trip and its own transaction: the publish lock (offsets become
   * visible in the order they are given), the rows in the order given, and one notification per
   * topic carrying its name, so that only that topic's consumers wake (sent at commit).
   */
  private async append(messages: readonly OutgoingMessage[]): Promise<void> {
    await this.pool.query(
      `WITH publisher AS (SELECT pg_advisory_xact_lock($1)),
       appended AS (
         INSERT INTO bus_messages (topic, key, headers, value)
         SELECT m.topic, m.key, m.headers::jsonb, m.value
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS m(topic, key, headers, value, position)
          CROSS JOIN publisher
          ORDER BY m.position
         RETURNING topic)
       SELECT pg_notify($6, topic) FROM (SELECT DISTINCT topic FROM appended) AS topics`,
      [
        PUBLISH_LOCK,
        messages.map((m) => m.topic),
        messages.map((m) => m.key),
        messages.map((m) => JSON.stringify(m.headers ?? {})),
        messages.map((m) => m.value),
        CHANNEL,
      ],
    );
  }

  async drainOutbox(producer: string, limit: number): Promise<{ locked: boolean; moved: number }> {
    // The relay's turn (the same lock as the Kafka path's), the batch deleted from the outbox
    // and appended to the log under the publish lock in outbox order, one notification per
    // topic; one statement, so all of it commits or none. The messages keep the trace context
    // they were created in, so their consumers' spans continue the same trace.
    const { rows } = await this.pool
      .query<{ locked: boolean; topic: string | null; n: number | null }>(
        `WITH relay AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked),
         batch AS (
           DELETE FROM outbox_messages o
            USING (SELECT id FROM outbox_messages
                    WHERE producer = $2 AND (SELECT locked FROM relay)
                    ORDER BY id LIMIT $3) next
            WHERE o.id = next.id
           RETURNING o.id, o.topic, o.key, o.headers, o.value),
         publisher AS (SELECT pg_advisory_xact_lock($4) WHERE EXISTS (SELECT 1 FROM batch)),
         appended AS (
           INSERT INTO bus_messages (topic, key, headers, value)
           SELECT b.topic, b.key, b.headers, b.value FROM batch b CROSS JOIN publisher ORDER BY b.id
           RETURNING topic),
         topics AS (SELECT topic, count(*)::int AS n FROM appended GROUP BY topic),
         notified AS (SELECT pg_notify($5, topic) FROM topics)
         SELECT (SELECT locked FROM relay) AS locked, t.topic, t.n, (SELECT count(*) FROM notified) AS notified
           FROM (SELECT 1) AS one LEFT JOIN topics t ON true`,
        [`outbox:${producer}`, producer, limit, PUBLISH_LOCK, CHANNEL],
      )
      .catch((error: unknown) => {
        throw classifyDatabaseError(error);
      });
    let moved = 0;
    for (const row of rows) {
      if (row.topic === null || row.n === null) continue;
      moved += row.n;
      metrics.messagesPublished.inc({ topic: row.topic }, row.n);
    }
    return { locked: rows[0]?.locked === true, moved };
  }

  async subscribe(spec: SubscriptionSpec): Promise<Subscription> {
    const names = spec.topics.filter((t): t is string => typeof t === 'string');
    const regexes = spec.topics.filter((t): t is RegExp => t instanceof RegExp);
    const patterns = regexes.map((r) => r.source);
    const matchers = regexes.map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, '')));
    const reads = (topic: string): boolean => names.includes(topic) || matchers.some((r) => r.test(topic));
    let running = true;
    let wake: (() => void) | undefined;
    /** Set by a notification for one of this subscription's topics, cleared before each fetch. */
    const notified = { value: false };
    // A notification names its topic: another topic's publish wakes nobody here.
    const onNotification = (message: { payload?: string }): void => {
      if (message.payload && !reads(message.payload)) return;
      notified.value = true;
      wake?.();
    };
    // A checked-out pg client with no 'error' listener turns a dropped session into an
    // uncaught exception; the failed query that follows sends the loop to reconnect instead.
    const onError = (err: Error): void =>
      this.options.logger.warn({ err, group: spec.groupId }, 'postgres bus session lost; reconnecting');
    const connect = async (): Promise<PoolClient> => {
      const client = await this.pool.connect();
      client.on('error', onError);
      client.on('notification', onNotification);
      try {
        await client.query(`LISTEN ${CHANNEL}`);
      } catch (error) {
        drop(client);
        throw error;
      }
      return client;
    };
    // Destroyed, not returned to the pool: its session's advisory lock and LISTEN go with it.
    const drop = (client: PoolClient): void => {
      client.off('notification', onNotification);
      client.release(true);
      // Keeps a late 'error' from a destroyed socket from becoming an uncaught exception.
      client.removeListener('error', onError);
      client.on('error', () => undefined);
    };
    let listener: PoolClient | undefined = await connect();

    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        // A notification that came while the last fetch ran is not lost: fetch again at once.
        if (notified.value) {
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });

    const loop = async (): Promise<void> => {
      while (running) {
        try {
          listener ??= await connect();
          const locked = await listener.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
            [spec.groupId],
          );
          if (locked.rows[0]?.locked) {
            await this.consumeWhileRunning(listener, spec, names, patterns, () => running, sleep, notified);
          } else {
            await sleep(this.options.pollIntervalMs ?? 1000);
          }
        } catch (error) {
          if (error instanceof DeliveryAborted || !running) break;
          this.options.logger.error({ err: error, group: spec.groupId }, 'postgres bus consumer error; retrying');
          // Start over on a fresh session; if the lock was still held, dropping this one frees it.
          if (listener) drop(listener);
          listener = undefined;
          await sleep(1000);
        }
      }
    };
    const done = loop();
    const stop = async (): Promise<void> => {
      running = false;
      wake?.();
      await done;
      if (listener) drop(listener);
      listener = undefined;
      this.stoppers.delete(stop);
    };
    this.stoppers.add(stop);
    return { stop };
  }

  private async consumeWhileRunning(
    client: PoolClient,
    spec: SubscriptionSpec,
    names: string[],
    patterns: string[],
    isRunning: () => boolean,
    sleep: (ms: number) => Promise<void>,
    notified: { value: boolean },
  ): Promise<void> {
    // Every message of this group's topics at or below `scanned` has been handled. It starts at 0
    // (one full look on taking the group over) and then moves with each fetch, so a fetch reads
    // only the log's new rows, not the whole log through the committed-offset filter.
    let scanned = '0';
    while (isRunning()) {
      notified.value = false;
      // One statement, one snapshot: the log's head and the group's next rows after `scanned`.
      // Publishers append under one lock, so offsets become visible in order and every row of
      // ours at or below the head is in this result, unless the batch is full.
      const { rows } = await client.query<Row & { head: string }>(
        `SELECT h.head::text AS head, r."offset"::text AS "offset", r.topic, r.key, r.headers, r.value
           FROM (SELECT COALESCE(max("offset"), 0) AS head FROM bus_messages) h
           LEFT JOIN LATERAL (
             SELECT m."offset", m.topic, m.key, m.headers, m.value
               FROM bus_messages m
              WHERE m."offset" > $4::bigint
                AND (m.topic = ANY($2::text[]) OR m.topic ~ ANY($3::text[]))
                AND m."offset" > COALESCE(
                      (SELECT o.committed FROM bus_consumer_offsets o WHERE o.group_id = $1 AND o.topic = m.topic), 0)
              ORDER BY m."offset"
              LIMIT ${BATCH}
           ) r ON true
          ORDER BY r."offset"`,
        [spec.groupId, names, patterns, scanned],
      );
      const head = rows[0]?.head ?? scanned;
      const batch = rows.filter((row) => row.offset !== null);
      const full = batch.length === BATCH;
      await this.reportLag(client, spec.groupId, names, patterns, scanned, batch, full);
      if (batch.length === 0) {
        scanned = head;
        await sleep(this.options.pollIntervalMs ?? 1000);
        continue;
      }
      const handled = new Set<Row>();
      try {
        await this.deliverBatch(spec, batch, isRunning, handled);
      } finally {
        // One commit for the batch; after a failure or a stop mid-batch, each topic's offsets
        // up to its first message not handled, so nothing handled is handed over again.
        await this.commit(client, spec.groupId, batch, handled);
      }
      const last = (batch[batch.length - 1] as Row).offset;
      scanned = full ? last : head;
      // Not full: everything up to the head was in it, and is handled now. Without a
      // notification since the fetch there is nothing new to look for: no empty fetch to learn so.
      if (!full && !notified.value) {
        await this.reportLag(client, spec.groupId, names, patterns, scanned, [], false);
        await sleep(this.options.pollIntervalMs ?? 1000);
      }
    }
  }

  /**
   * Hands a batch to the handler: the messages of one key (per topic) one after another, in
   * order, and up to `concurrency` keys at a time, as Kafka's partitions would. Resolves when
   * every message is handled; rejects with the first failure once the others have settled.
   */
  private async deliverBatch(
    spec: SubscriptionSpec,
    batch: readonly Row[],
    isRunning: () => boolean,
    handled: Set<Row>,
  ): Promise<void> {
    // One at a time keeps the log's offset order across keys too; otherwise one chain per key.
    const pending = (this.options.concurrency ?? 1) > 1 ? chainsByKey(batch) : [batch];
    const work = async (): Promise<void> => {
      for (let chain = pending.shift(); chain; chain = pending.shift()) {
        for (const row of chain) {
          await deliver(
            {
              topic: row.topic,
              key: row.key,
              value: row.value,
              headers: row.headers,
              partition: '0',
              position: row.offset,
            },
            spec.handler,
            {
              groupId: spec.groupId,
              system: SYSTEM,
              logger: this.options.logger,
              retry: this.options.retry ?? DEFAULT_RETRY,
              publish: (dead) => this.publish(dead),
              isRunning,
            },
          );
          handled.add(row);
        }
      }
    };
    const workers = Math.min(this.options.concurrency ?? 1, pending.length);
    const settled = await Promise.allSettled(Array.from({ length: workers }, work));
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Commits, per topic, the offset before the batch's first message of that topic not handled. */
  private async commit(client: PoolClient, groupId: string, batch: readonly Row[], handled: Set<Row>): Promise<void> {
    const committed = new Map<string, string>();
    const blocked = new Set<string>();
    for (const row of batch) {
      if (blocked.has(row.topic)) continue;
      if (handled.has(row)) committed.set(row.topic, row.offset);
      else blocked.add(row.topic);
    }
    if (committed.size === 0) return;
    await client.query(
      `INSERT INTO bus_consumer_offsets (group_id, topic, committed, updated_at)
       SELECT $1, t.topic, t.committed, now() FROM unnest($2::text[], $3::bigint[]) AS t(topic, committed)
       ON CONFLICT (group_id, topic) DO UPDATE SET committed = EXCLUDED.committed, updated_at = now()`,
      [groupId, [...committed.keys()], [...committed.values()]],
    );
  }

  async check(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** A topic here is a value of `bus_messages.topic`: every one exists. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<TopicsEnsured> {
    return Promise.resolve({ created: [], existing: topics.map((t) => t.name) });
  }

  /**
   * The group's lag per topic: messages after its committed offset. A batch that is not full
   * holds every such message (up to the head it was read at), so it is counted in hand; only a
   * full batch, behind which more may wait, needs a count from the log.
   */
  private async reportLag(
    client: PoolClient,
    groupId: string,
    names: string[],
    patterns: string[],
    scanned: string,
    batch: readonly Row[],
    full: boolean,
  ): Promise<void> {
    const known = this.lagTopics.get(groupId) ?? new Set<string>();
    this.lagTopics.set(groupId, known);
    const counts = new Map<string, number>([...known].map((topic) => [topic, 0]));
    if (full) {
      const { rows } = await client.query<{ topic: string; lag: number }>(
        `SELECT m.topic, count(*)::int AS lag
           FROM bus_messages m
          WHERE m."offset" > $4::bigint
            AND (m.topic = ANY($2::text[]) OR m.topic ~ ANY($3::text[]))
            AND m."offset" > COALESCE(
                  (SELECT o.committed FROM bus_consumer_offsets o WHERE o.group_id = $1 AND o.topic = m.topic), 0)
          GROUP BY m.topic`,
        [groupId, names, patterns, scanned],
      );
      for (const row of rows) counts.set(row.topic, row.lag);
    } else {
      for (const row of batch) counts.set(row.topic, (counts.get(row.topic) ?? 0) + 1);
    }
    for (const [topic, lag] of counts) {
      known.add(topic);
      metrics.consumerLag.set({ topic, group: groupId, partition: '0' }, lag);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.stoppers].map((stop) => stop()));
    await this.pool.end();
  }
}
