/**
 * The project's own messaging port. Services publish and consume through it and never see
 * the transport: Kafka in the distributed mode, PostgreSQL in the embedded default.
 */
export interface OutgoingMessage {
  topic: string;
  /** Messages with one key are delivered in order (one partition in Kafka). */
  key: string;
  /** JSON text of a contract envelope. */
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  /** Kafka partition (`0` on the PostgreSQL transport, which has one per topic). */
  partition: string;
  /** Transport position, for logs and dead letters. */
  position: string;
  /**
   * For a handler that keeps a message long (its own retries): tells the transport it is still
   * at work, so a Kafka group session does not expire and hand the message to another consumer
   * mid-handling. Absent where no session can expire.
   */
  heartbeat?: () => Promise<void>;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface SubscriptionSpec {
  groupId: string;
  topics: ReadonlyArray<string | RegExp>;
  handler: MessageHandler;
  /**
   * Messages are rare and none is waited on by a caller (configuration changes, dead letters):
   * the transport may poll such a group less often while it is idle. A message is still handed
   * over as soon as it arrives; only the group's stop may take longer (up to the poll wait).
   */
  quiet?: boolean;
}

export interface Subscription {
  stop(): Promise<void>;
}

/** A topic to create when missing; unset numbers take the broker's defaults. */
export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'min.insync.replicas': '2' }`. */
  config?: Readonly<Record<string, string>>;
}

export interface TopicsEnsured {
  created: string[];
  existing: string[];
}

export interface MessageBus {
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Delivers each message at least once, in key order. A handler that throws an error with
   * `retriable: false` sends the message to the dead-letter topic; one with `retriable: true`
   * means the same message is delivered again after a backoff; an unclassified error is tried
   * `retry.maxUnclassifiedAttempts` times, then dead-lettered (ADR 0018).
   */
  subscribe(spec: SubscriptionSpec): Promise<Subscription>;
  /**
   * Resolves when the transport is usable from here (brokers or database answer, no consumer
   * has stopped for good); rejects with the reason otherwise. For readiness probes.
   */
  check(): Promise<void>;
  /**
   * Creates the topics that do not exist yet and leaves the others as they are. Kafka needs
   * every topic before its first message (brokers are run without automatic creation); the
   * PostgreSQL transport has none to create.
   */
  ensureTopics(topics: readonly TopicSpec[]): Promise<TopicsEnsured>;
  /**
   * Where the bus lives in the producer's own database (the PostgreSQL transport): moves up to
   * `limit` of `producer`'s outbox rows, oldest first, onto the bus in one statement, so the
   * outbox is emptied and the messages published in one transaction and one round trip.
   * `locked: false` when another relay of the producer holds its turn. Absent on Kafka, where
   * the outbox relay publishes and then deletes.
   */
  drainOutbox?(producer: string, limit: number): Promise<{ locked: boolean; moved: number }>;
  close(): Promise<void>;
}

export interface BusLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}
