import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { freePort } from '@writeback/supervisor';
import { harnessCacheDir, repositoryFile } from './harness-files';
import { hasExited, runCommand, spawnProcessGroup, stopProcessGroup } from './processes';
import { waitFor } from './wait-for';

/** The Apache Kafka release the suites and the benchmark run on (tools/kafka/pom.xml). */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/** `WRITEBACK_TEST_KAFKA_VERSION` runs the suites on another release, e.g. 3.9.1. */
export function testKafkaVersion(): string {
  return process.env['WRITEBACK_TEST_KAFKA_VERSION']?.trim() || DEFAULT_KAFKA_VERSION;
}

export interface KafkaTopic {
  name: string;
  partitions: number;
  /** Default: every broker, at most 3. */
  replicationFactor?: number;
  /** `--replica-assignment`, one `a:b:c` per partition, the first broker its preferred leader. */
  replicaAssignment?: number[][];
}

export interface KafkaClusterOptions {
  workDir: string;
  /** Default 3: combined broker+controller nodes, ids 1..brokers, a KRaft quorum of all. */
  brokers?: number;
  /** Default `testKafkaVersion()`. */
  version?: string;
  /** Created with Kafka's own TopicCommand once the cluster is up, as the chart's topic Job does. */
  topics?: KafkaTopic[];
  /**
   * JVM options of the brokers. Default: a quick start (C1 only, serial GC, 384 MiB heap), which
   * suits short test clusters; the benchmark passes KAFKA_DEFAULT_JVM_OPTIONS.
   */
  jvmOptions?: readonly string[];
}

/** A real Apache Kafka cluster (KRaft) on loopback, one JVM per node, started by the harness. */
export interface KafkaCluster {
  version: string;
  bootstrapServers: string[];
  brokerIds: number[];
  workDir: string;
  /** Every node's log file. */
  logFiles: string[];
  /** The brokers' pids, for CPU accounting (the benchmark). */
  pids(): number[];
  /** `kafka-topics.sh --create --if-not-exists` for each topic (one JVM per topic, in parallel). */
  createTopics(topics: readonly KafkaTopic[]): Promise<void>;
  /** Runs one of Kafka's tools (e.g. `org.apache.kafka.tools.TopicCommand`) against the cluster. */
  runTool(mainClass: string, args: readonly string[]): Promise<string>;
  /** SIGKILL to one node, as a crashed broker: no controlled shutdown, leadership moves on the controller's timeout. */
  killBroker(brokerId: number): Promise<void>;
  /** Starts a killed or stopped node again on its ports and data; resolves once the cluster lists it again. */
  startBroker(brokerId: number): Promise<void>;
  /**
   * Makes `brokerId` the leader of one partition while every broker stays up: reorders the
   * partition's replicas (ReassignPartitionsCommand) and runs a preferred leader election.
   */
  moveLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** The current leader of each partition of a topic. */
  leaders(topic: string): Promise<Map<number, number>>;
  stop(): Promise<void>;
}

/** What kafka-server-start.sh runs a broker with: the benchmark measures Kafka as shipped. */
export const KAFKA_DEFAULT_JVM_OPTIONS: readonly string[] = [
  '-Xmx1G',
  '-Xms1G',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];
const QUICK_START_JVM = ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k'];
const TOOL_JVM = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
const START_TIMEOUT_MS = 180_000;
const TOOL_TIMEOUT_MS = 120_000;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** Any 22-character base64url id: every cluster the harness starts is new, so one id serves. */
const CLUSTER_ID = 'd3JpdGViYWNrLXRlc3RzAA';

interface KafkaRuntime {
  version: string;
  classpath: string;
  /** A log dir formatted by Kafka's StorageTool for node 1; each node gets a copy with its own ids. */
  templateLogDir: string;
  log4jFiles: { log4j2: string; log4j1: string };
}

const runtimes = new Map<string, Promise<KafkaRuntime>>();

/**
 * Resolves Apache Kafka `version` (broker, StorageTool, TopicCommand and their dependencies)
 * from Maven Central with tools/kafka/pom.xml, once per version and pom into the harness cache,
 * and formats a template log dir there. A second run starts from the cache without Maven.
 */
export function ensureKafkaRuntime(version = testKafkaVersion()): Promise<KafkaRuntime> {
  let runtime = runtimes.get(version);
  if (!runtime) {
    runtime = prepareRuntime(version);
    runtimes.set(version, runtime);
    runtime.catch(() => runtimes.delete(version));
  }
  return runtime;
}

async function prepareRuntime(version: string): Promise<KafkaRuntime> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`Kafka version must look like 4.4.0, got "${version}"`);
  const pom = repositoryFile(join('tools', 'kafka', 'pom.xml'));
  const pomHash = createHash('sha256')
    .update(await readFile(pom))
    .digest('hex')
    .slice(0, 12);
  const dir = join(harnessCacheDir(), `kafka-${version}-${pomHash}`);
  const runtime = runtimeIn(dir, version);
  if (existsSync(join(dir, 'ready'))) return runtime;

  await mkdir(harnessCacheDir(), { recursive: true });
  const partial = await mkdtemp(`${dir}.partial-`);
  try {
    await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pom,
        `-Dkafka.version=${version}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(partial, 'libs')}`,
        '-DincludeScope=runtime',
      ],
      { timeoutMs: 600_000 },
    );
    const staged = runtimeIn(partial, version);
    await writeLogConfigs(staged.log4jFiles.log4j2, staged.log4jFiles.log4j1);
    const template = join(partial, 'template');
    await mkdir(template, { recursive: true });
    const properties = join(template, 'server.properties');
    await writeFile(
      properties,
      nodeProperties({ nodeId: 1, logDir: join(template, 'data'), voters: '1@127.0.0.1:9093', ports: [9092, 9093] }),
    );
    await runCommand(
      'java',
      javaArgs(staged, TOOL_JVM, 'kafka.tools.StorageTool', ['format', '-t', CLUSTER_ID, '-c', properties]),
      { timeoutMs: TOOL_TIMEOUT_MS },
    );
    await writeFile(join(partial, 'ready'), `${new Date().toISOString()}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return runtime;
}

function runtimeIn(dir: string, version: string): KafkaRuntime {
  return {
    version,
    classpath: `${join(dir, 'libs')}/*`,
    templateLogDir: join(dir, 'template', 'data'),
    log4jFiles: { log4j2: join(dir, 'log4j2.properties'), log4j1: join(dir, 'log4j.properties') },
  };
}

/** WARN and above for the broker (its INFO lines cost CPU the benchmark would count). */
async function writeLogConfigs(log4j2: string, log4j1: string): Promise<void> {
  await writeFile(
    log4j2,
    [
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.out.ref = out',
      '',
    ].join('\n'),
  );
  await writeFile(
    log4j1,
    [
      'log4j.rootLogger=WARN, out',
      'log4j.appender.out=org.apache.log4j.ConsoleAppender',
      'log4j.appender.out.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
}

interface NodePropertiesInput {
  nodeId: number;
  logDir: string;
  voters: string;
  /** [client listener, controller listener] */
  ports: [number, number];
  replication?: number;
}

/**
 * One combined broker+controller node, configured as a platform team would for production
 * except for speed: no automatic topic creation (the topics are created as the chart's Job
 * does), replicated internal topics, min.insync.replicas 2 on a three-node cluster, and
 * group and failure timeouts short enough for tests.
 */
function nodeProperties(input: NodePropertiesInput): string {
  const [clientPort, controllerPort] = input.ports;
  const replication = input.replication ?? 1;
  return [
    'process.roles=broker,controller',
    `node.id=${input.nodeId}`,
    `controller.quorum.voters=${input.voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${clientPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${clientPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${input.logDir}`,
    'auto.create.topics.enable=false',
    `offsets.topic.replication.factor=${replication}`,
    // Kafka's default of 50 partitions makes every new cluster's first group wait for 150 replicas.
    'offsets.topic.num.partitions=6',
    `transaction.state.log.replication.factor=${replication}`,
    `transaction.state.log.min.isr=${Math.min(2, replication)}`,
    'transaction.state.log.num.partitions=6',
    `default.replication.factor=${replication}`,
    `min.insync.replicas=${Math.min(2, replication)}`,
    'group.initial.rebalance.delay.ms=0',
    // A killed broker is fenced (and its partitions' leadership moves) after 4 s, not 9 s.
    'broker.heartbeat.interval.ms=1000',
    'broker.session.timeout.ms=4000',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    '',
  ].join('\n');
}

interface NodeState {
  id: number;
  dir: string;
  properties: string;
  logFile: string;
  clientPort: number;
  child: ChildProcess | undefined;
}

export async function startKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const brokers = options.brokers ?? 3;
  if (!Number.isInteger(brokers) || brokers < 1) throw new Error(`brokers must be a positive integer, got ${brokers}`);
  const runtime = await ensureKafkaRuntime(options.version ?? testKafkaVersion());
  await mkdir(options.workDir, { recursive: true });
  const ids = Array.from({ length: brokers }, (_, index) => index + 1);
  const ports = await Promise.all(ids.map(async () => [await freePort(), await freePort()] as [number, number]));
  const voters = ids.map((id, index) => `${id}@127.0.0.1:${ports[index]?.[1]}`).join(',');
  const replication = Math.min(3, brokers);
  const nodes: NodeState[] = [];
  for (const [index, id] of ids.entries()) {
    const dir = join(options.workDir, `node-${id}`);
    const logDir = join(dir, 'data');
    await mkdir(dir, { recursive: true });
    await cp(runtime.templateLogDir, logDir, { recursive: true });
    await writeMetaProperties(logDir, id);
    const properties = join(dir, 'server.properties');
    const nodePorts = ports[index] as [number, number];
    await writeFile(properties, nodeProperties({ nodeId: id, logDir, voters, ports: nodePorts, replication }));
    nodes.push({ id, dir, properties, logFile: join(dir, 'server.log'), clientPort: nodePorts[0], child: undefined });
  }

  const jvmOptions = options.jvmOptions ?? QUICK_START_JVM;
  const bootstrapServers = nodes.map((node) => `127.0.0.1:${node.clientPort}`);
  const node = (brokerId: number): NodeState => {
    const found = nodes.find((n) => n.id === brokerId);
    if (!found) throw new Error(`Broker ${brokerId} does not exist; ids are ${ids.join(', ')}`);
    return found;
  };
  const launch = (state: NodeState): void => {
    const log = openSync(state.logFile, 'a');
    try {
      state.child = spawnProcessGroup('java', javaArgs(runtime, jvmOptions, 'kafka.Kafka', [state.properties]), [
        'ignore',
        log,
        log,
      ]);
    } finally {
      closeSync(log);
    }
  };
  const admin = (brokersToAsk = bootstrapServers) =>
    new Kafka({
      clientId: 'harness',
      brokers: brokersToAsk,
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    }).admin();
  /** The brokers one node lists, asked of that node alone: an answer means it serves clients. */
  const listedBy = (state: NodeState): Promise<number[]> =>
    withAdmin(
      () => admin([`127.0.0.1:${state.clientPort}`]),
      async (client) => (await client.describeCluster()).brokers.map((b) => b.nodeId),
    ).catch(() => []);
  const waitServing = async (expected: number[], description: string): Promise<void> => {
    await waitFor(
      async () => {
        const dead = nodes.find((n) => expected.includes(n.id) && n.child && hasExited(n.child));
        if (dead) throw new Error(`Kafka node ${dead.id} exited while starting; see ${dead.logFile}`);
        const listed = await Promise.all(expected.map((id) => listedBy(node(id))));
        return listed.every((ids) => expected.every((id) => ids.includes(id)));
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 250, description },
    );
  };
  const runTool = async (mainClass: string, args: readonly string[]): Promise<string> => {
    const { stdout } = await runCommand('java', javaArgs(runtime, TOOL_JVM, mainClass, args), {
      timeoutMs: TOOL_TIMEOUT_MS,
    });
    return stdout;
  };
  const bootstrap = bootstrapServers.join(',');
  const createTopic = async (topic: KafkaTopic): Promise<void> => {
    if (!TOPIC_NAME.test(topic.name)) throw new Error(`Invalid Kafka topic name: ${JSON.stringify(topic.name)}`);
    const placement = topic.replicaAssignment
      ? ['--replica-assignment', topic.replicaAssignment.map((replicas) => replicas.join(':')).join(',')]
      : [
          '--partitions',
          String(topic.partitions),
          '--replication-factor',
          String(topic.replicationFactor ?? replication),
        ];
    await runTool('org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--if-not-exists',
      '--topic',
      topic.name,
      ...placement,
      '--config',
      `min.insync.replicas=${Math.min(2, replication)}`,
    ]);
  };

  const cluster: KafkaCluster = {
    version: runtime.version,
    bootstrapServers,
    brokerIds: ids,
    workDir: options.workDir,
    logFiles: nodes.map((n) => n.logFile),
    pids: () => nodes.flatMap((n) => (n.child?.pid !== undefined && !hasExited(n.child) ? [n.child.pid] : [])),
    createTopics: async (topics) => {
      await Promise.all(topics.map(createTopic));
      await waitForLeaders(admin, topics);
    },
    runTool,
    killBroker: async (brokerId) => {
      const state = node(brokerId);
      const child = state.child;
      if (!child || hasExited(child)) return;
      process.kill(-(child.pid as number), 'SIGKILL');
      await waitFor(() => hasExited(child), {
        timeoutMs: 10_000,
        intervalMs: 20,
        description: `broker ${brokerId} to die`,
      });
    },
    startBroker: async (brokerId) => {
      const state = node(brokerId);
      if (state.child && !hasExited(state.child)) return;
      launch(state);
      await waitServing([brokerId], `broker ${brokerId} to serve again`);
    },
    moveLeader: async (topic, partition, brokerId) => {
      node(brokerId);
      const current = await replicasOf(admin, topic, partition);
      const replicas = [brokerId, ...current.filter((id) => id !== brokerId)];
      const plan = join(options.workDir, `reassign-${randomBytes(4).toString('hex')}.json`);
      await writeFile(plan, JSON.stringify({ version: 1, partitions: [{ topic, partition, replicas }] }));
      await runTool('org.apache.kafka.tools.reassign.ReassignPartitionsCommand', [
        '--bootstrap-server',
        bootstrap,
        '--reassignment-json-file',
        plan,
        '--execute',
      ]);
      await runTool('org.apache.kafka.tools.LeaderElectionCommand', [
        '--bootstrap-server',
        bootstrap,
        '--election-type',
        'PREFERRED',
        '--topic',
        topic,
        '--partition',
        String(partition),
      ]);
      await waitFor(async () => (await cluster.leaders(topic)).get(partition) === brokerId, {
        timeoutMs: 30_000,
        description: `broker ${brokerId} to lead ${topic}-${partition}`,
      });
    },
    leaders: (topic) =>
      withAdmin(admin, async (client) => {
        const metadata = await client.fetchTopicMetadata({ topics: [topic] });
        return new Map((metadata.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
      }),
    stop: async () => {
      await Promise.all(nodes.map((n) => (n.child ? stopProcessGroup(n.child, 15_000) : Promise.resolve())));
    },
  };

  try {
    for (const state of nodes) launch(state);
    await waitServing(ids, `${brokers} Kafka ${runtime.version} brokers to register (logs: ${options.workDir})`);
    if (options.topics?.length) await cluster.createTopics(options.topics);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** meta.properties as StorageTool writes it, with this node's id and a fresh directory id. */
async function writeMetaProperties(logDir: string, nodeId: number): Promise<void> {
  const file = join(logDir, 'meta.properties');
  const template = await readFile(file, 'utf8');
  const directoryId = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
  const lines = template
    .split('\n')
    .map((line) =>
      line.replace(/^node\.id=.*/, `node.id=${nodeId}`).replace(/^directory\.id=.*/, `directory.id=${directoryId}`),
    );
  await writeFile(file, lines.join('\n'));
}

/** A Kafka main class on the runtime's classpath, logging as the log4j files say (either backend). */
function javaArgs(
  runtime: KafkaRuntime,
  jvmOptions: readonly string[],
  mainClass: string,
  args: readonly string[],
): string[] {
  return [
    ...jvmOptions,
    '-cp',
    runtime.classpath,
    `-Dlog4j2.configurationFile=${runtime.log4jFiles.log4j2}`,
    `-Dlog4j.configuration=file:${runtime.log4jFiles.log4j1}`,
    mainClass,
    ...args,
  ];
}

type AdminFactory = () => Admin;

async function withAdmin<T>(create: AdminFactory, use: (admin: Admin) => Promise<T>): Promise<T> {
  const client = create();
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

function replicasOf(admin: AdminFactory, topic: string, partition: number): Promise<number[]> {
  return withAdmin(admin, async (client) => {
    const metadata = await client.fetchTopicMetadata({ topics: [topic] });
    const found = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition);
    if (!found) throw new Error(`${topic}-${partition} does not exist`);
    return found.replicas;
  });
}

/** Every partition of the topics has a leader: producers can send at once. */
async function waitForLeaders(admin: AdminFactory, topics: readonly KafkaTopic[]): Promise<void> {
  const names = topics.map((t) => t.name);
  await waitFor(
    () =>
      withAdmin(admin, async (client) => {
        const metadata = await client.fetchTopicMetadata({ topics: names });
        return metadata.topics.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0 && p.partitionErrorCode === 0),
        );
      }).catch(() => false),
    { timeoutMs: 60_000, intervalMs: 200, description: `leaders for ${names.join(', ')}` },
  );
}
