import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type IHeaders,
  type Producer,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import { DEFAULT_RETRY, deliver, type RetryPolicy } from '../delivery';
import { ConsumerLagSeries } from './consumer-lag';
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
import { classifyKafkaError } from '../transport-errors';

const SYSTEM = 'kafka';

/** PEM contents (not paths); an empty object is TLS with the system's trusted CAs. */
export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  /** On unless WRITEBACK_KAFKA_IDEMPOTENT=false (a cluster that refuses InitProducerId to this client). */
  idempotent: boolean;
  logger: BusLogger;
  retry?: RetryPolicy;
  /**
   * Partitions one consumer handles at once. Each partition stays sequential, so one user's
   * messages (one key, one partition) are still handled in order.
   */
  concurrency?: number;
  /** A member silent this long is removed from its group and its partitions reassigned. */
  sessionTimeoutMs?: number;
  /**
   * How long a fetch waits at the broker when it has nothing to return (default 250 ms). A
   * broker answers as soon as a message arrives, so this bounds only an idle consumer's
   * polling.
   */
  fetchMaxWaitMs?: number;
  /**
   * How often a consumer commits the offsets it has handled (default one second). A crash
   * delivers at most this much again, which handlers absorb (they are idempotent); a clean stop
   * commits first and delivers nothing again. Committing after every fetched batch instead
   * cost a broker round trip per handful of messages (docs/benchmarks.md).
   */
  commitIntervalMs?: number;
  tls?: KafkaTls;
  sasl?: KafkaSasl;
}

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

const DEFAULT_COMMIT_INTERVAL_MS = 1000;
const DEFAULT_FETCH_MAX_WAIT_MS = 250;
/**
 * A quiet group's fetch wait. Kafka answers a fetch the moment a message arrives, so this
 * bounds only how often an idle group asks: about 4 times a second at 250 ms, which for the
 * configuration followers and the audit service's configuration and dead-letter groups was
 * more than a Fetch request per operation at the benchmark's rates (docs/benchmarks.md).
 * A stop waits for the fetch in flight, so this is also how much longer such a group's stop
 * may take.
 */
const QUIET_FETCH_MAX_WAIT_MS = 2000;

/** kafkajs adapter: the only file that knows kafkajs exists. */
export class KafkaBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly consumers = new Set<Consumer>();
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private adminReady: Promise<Admin> | undefined;
  /** Consumers kafkajs gave up on (a crash it will not restart from): the service is broken. */
  private readonly crashed = new Set<string>();

  constructor(private readonly options: KafkaBusOptions) {
    const logger = options.logger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      ...(options.tls ? { ssl: options.tls } : {}),
      // kafkajs types SASL per mechanism; ours is the same shape as one union member.
      ...(options.sasl ? { sasl: options.sasl as SASLOptions } : {}),
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, label, log }: LogEntry) => {
          const { message, ...details } = log;
          const line = `kafkajs ${namespace}: ${message}`;
          if (label === 'ERROR') logger.error(details, line);
          else logger.warn(details, line);
        },
      retry: { initialRetryTime: 200, retries: 8 },
    });
  }

  private getProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: this.options.idempotent,
        maxInFlightRequests: this.options.idempotent ? 5 : 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = undefined;
      throw error;
    });
    return this.producerReady;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.send(messages).catch((error: unknown) => {
      throw classifyKafkaError(error);
    });
  }

  private async send(messages: readonly OutgoingMessage[]): Promise<void> {
    const producer = await this.getProducer();
    await sendInSpans(SYSTEM, messages, async (traced) => {
      const byTopic = new Map<string, OutgoingMessage[]>();
      for (const m of traced) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })),
        })),
      });
    });
  }

  async subscribe(spec: SubscriptionSpec): Promise<Subscription> {
    const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
    const consumer = this.kafka.consumer({
      groupId: spec.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      // A user waits on the other end of every message: poll briskly rather than batch.
      maxWaitTimeInMs: spec.quiet
        ? Math.max(QUIET_FETCH_MAX_WAIT_MS, this.options.fetchMaxWaitMs ?? 0)
        : (this.options.fetchMaxWaitMs ?? DEFAULT_FETCH_MAX_WAIT_MS),
    });
    let running = true;
    // kafkajs reports each fetched batch's distance to the partition's end: the group's lag.
    // Only a fetched batch updates it (docs/operations.md says what that leaves unseen).
    const lag = new ConsumerLagSeries(spec.groupId);
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) =>
      lag.report(payload.topic, payload.partition, Number(payload.offsetLagLow) + 1),
    );
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      lag.report(payload.topic, payload.partition, Number(payload.offsetLag)),
    );
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => lag.assigned(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.crashed.add(spec.groupId);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...spec.topics], fromBeginning: true });
    this.consumers.add(consumer);
    await consumer.run({
      partitionsConsumedConcurrently: this.options.concurrency ?? 4,
      // Honoured at a batch's end and while idle only with patches/kafkajs+2.2.4.patch (ADR 0015).
      autoCommitInterval: this.options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
      eachMessage: async (payload) => {
        const { topic, partition, message } = payload;
        const incoming: IncomingMessage = {
          topic,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headersOf(message.headers),
          partition: String(partition),
          position: `${partition}@${message.offset}`,
          heartbeat: () => payload.heartbeat(),
        };
        await deliver(incoming, spec.handler, {
          groupId: spec.groupId,
          system: SYSTEM,
          logger: this.options.logger,
          retry: this.options.retry ?? DEFAULT_RETRY,
          publish: (dead) => this.publish(dead),
          isRunning: () => running,
          heartbeat: () => payload.heartbeat(),
        });
      },
    });
    return {
      stop: async () => {
        running = false;
        this.consumers.delete(consumer);
        await consumer.disconnect();
        lag.clear();
      },
    };
  }

  async check(): Promise<void> {
    if (this.crashed.size > 0) throw new Error(`consumer stopped for good: ${[...this.crashed].join(', ')}`);
    await (await this.getAdmin()).describeCluster();
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<TopicsEnsured> {
    const admin = await this.getAdmin();
    const present = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !present.has(t.name));
    if (missing.length > 0) {
      // Another creator may win the race for a topic; kafkajs treats TOPIC_ALREADY_EXISTS as done.
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          // -1: the broker's num.partitions and default.replication.factor.
          numPartitions: t.partitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return {
      created: missing.map((t) => t.name),
      existing: topics.filter((t) => present.has(t.name)).map((t) => t.name),
    };
  }

  private getAdmin(): Promise<Admin> {
    this.adminReady ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.adminReady = undefined;
      throw error;
    });
    return this.adminReady;
  }

  async close(): Promise<void> {
    const admin = this.adminReady;
    this.adminReady = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect();
    this.producer = undefined;
    this.producerReady = undefined;
  }
}
