import { Pool, type PoolClient } from 'pg';
import { metrics } from '@writeback/observability';
import { classifyDatabaseError } from '@writeback/persistence';
import { DEFAULT_RETRY, DeliveryAborted, deliver, type RetryPolicy } from '../delivery';
import type {
  BusLogger,
  IncomingMessage,
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

  private async append(messages: readonly OutgoingMessage[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
      for (const m of messages) {
        await client.query('INSERT INTO bus_messages (topic, key, headers, value) VALUES ($1, $2, $3, $4)', [
          m.topic,
          m.key,
          JSON.stringify(m.headers ?? {}),
          m.value,
        ]);
      }
      await client.query(`NOTIFY ${CHANNEL}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async subscribe(spec: SubscriptionSpec): Promise<Subscription> {
    const names = spec.topics.filter((t): t is string => typeof t === 'string');
    const patterns = spec.topics.filter((t): t is RegExp => t instanceof RegExp).map((r) => r.source);
    let running = true;
    let wake: (() => void) | undefined;
    const onNotification = (): void => wake?.();
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
            await this.consumeWhileRunning(listener, spec, names, patterns, () => running, sleep);
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
  ): Promise<void> {
    while (isRunning()) {
      const { rows } = await client.query<Row>(
        `SELECT m."offset"::text AS "offset", m.topic, m.key, m.headers, m.value
           FROM bus_messages m
          WHERE (m.topic = ANY($2::text[]) OR m.topic ~ ANY($3::text[]))
            AND m."offset" > COALESCE(
                  (SELECT o.committed FROM bus_consumer_offsets o WHERE o.group_id = $1 AND o.topic = m.topic), 0)
          ORDER BY m."offset"
          LIMIT ${BATCH}`,
        [spec.groupId, names, patterns],
      );
      await this.reportLag(client, spec.groupId, names, patterns, rows.length > 0);
      if (rows.length === 0) {
        await sleep(this.options.pollIntervalMs ?? 1000);
        continue;
      }
      for (const row of rows) {
        const message: IncomingMessage = {
          topic: row.topic,
          key: row.key,
          value: row.value,
          headers: row.headers,
          partition: '0',
          position: row.offset,
        };
        await deliver(message, spec.handler, {
          groupId: spec.groupId,
          system: SYSTEM,
          logger: this.options.logger,
          retry: this.options.retry ?? DEFAULT_RETRY,
          publish: (dead) => this.publish(dead),
          isRunning,
        });
        await client.query(
          `INSERT INTO bus_consumer_offsets (group_id, topic, committed, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (group_id, topic) DO UPDATE SET committed = EXCLUDED.committed, updated_at = now()`,
          [spec.groupId, row.topic, row.offset],
        );
      }
    }
  }

  async check(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** A topic here is a value of `bus_messages.topic`: every one exists. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<TopicsEnsured> {
    return Promise.resolve({ created: [], existing: topics.map((t) => t.name) });
  }

  /**
   * The group's lag per topic: messages after its committed offset. Counted only when a fetch
   * found work; an empty fetch means every topic it reads is caught up.
   */
  private async reportLag(
    client: PoolClient,
    groupId: string,
    names: string[],
    patterns: string[],
    pending: boolean,
  ): Promise<void> {
    const known = this.lagTopics.get(groupId) ?? new Set<string>();
    this.lagTopics.set(groupId, known);
    const counts = new Map<string, number>([...known].map((topic) => [topic, 0]));
    if (pending) {
      const { rows } = await client.query<{ topic: string; lag: number }>(
        `SELECT m.topic, count(*)::int AS lag
           FROM bus_messages m
          WHERE (m.topic = ANY($2::text[]) OR m.topic ~ ANY($3::text[]))
            AND m."offset" > COALESCE(
                  (SELECT o.committed FROM bus_consumer_offsets o WHERE o.group_id = $1 AND o.topic = m.topic), 0)
          GROUP BY m.topic`,
        [groupId, names, patterns],
      );
      for (const row of rows) counts.set(row.topic, row.lag);
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
