import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { harnessFile } from './harness-files';
import { hasExited, runCommand, spawnProcessGroup, stopProcessGroup } from './processes';
import { waitFor } from './wait-for';

export interface KafkaMockTopic {
  name: string;
  partitions: number;
  /** Default min(3, brokers). */
  replication?: number;
}

export interface KafkaMockOptions {
  /** Default 3; broker ids are 1..brokers. */
  brokers?: number;
  topics?: KafkaMockTopic[];
  workDir: string;
}

/**
 * librdkafka's mock cluster (tools/harness/kafka-mock.c). It has no controller, so kafkajs'
 * admin.createTopics() and idempotent producers do not work against it: create topics here.
 */
export interface KafkaMock {
  bootstrapServers: string[];
  brokerIds: number[];
  logFile: string;
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  /**
   * Takes a broker down as a real cluster would: the leadership of its partitions and the
   * consumer groups it coordinates move to live brokers first (the mock has no controller to
   * do that), then it stops answering.
   */
  brokerDown(brokerId: number): Promise<void>;
  brokerUp(brokerId: number): Promise<void>;
  setRtt(brokerId: number, ms: number): Promise<void>;
  /** Moves one partition's leadership explicitly (brokerDown fails over on its own). */
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** The next `count` requests with Kafka API key `apiKey` fail with `errorCode`. */
  pushRequestErrors(apiKey: number, errorCode: number, count?: number): Promise<void>;
  stop(): Promise<void>;
}

const GCC_ARGS = ['-O2', '-Wall', '-Wextra', '-Werror'];
const MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';
const COMMAND_TIMEOUT_MS = 10_000;
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export async function startKafkaMock(options: KafkaMockOptions): Promise<KafkaMock> {
  const brokers = options.brokers ?? 3;
  assertInteger('brokers', brokers, 1);
  const binary = await ensureKafkaMockBinary();
  await mkdir(options.workDir, { recursive: true });
  const logFile = join(options.workDir, 'kafka-mock.log');
  const control = new MockControl(spawnMock(binary, brokers, logFile), logFile);
  const bootstrap = await control.readBootstrap();
  const mock = createMockApi(control, bootstrap, brokers, logFile);
  try {
    for (const topic of options.topics ?? []) await mock.createTopic(topic.name, topic.partitions, topic.replication);
  } catch (error) {
    await mock.stop();
    throw error;
  }
  return mock;
}

function createMockApi(control: MockControl, bootstrap: string[], brokers: number, logFile: string): KafkaMock {
  const brokerIds = Array.from({ length: brokers }, (_, index) => index + 1);
  const broker = (id: number) => {
    if (!brokerIds.includes(id)) throw new Error(`Broker ${id} does not exist; ids are ${brokerIds.join(', ')}`);
    return id;
  };
  return {
    bootstrapServers: bootstrap,
    brokerIds,
    logFile,
    createTopic: async (name, partitions, replication = Math.min(3, brokers)) => {
      assertTopicName(name);
      assertInteger('partitions', partitions, 1);
      assertInteger('replication', replication, 1);
      await control.send(`topic ${name} ${partitions} ${replication}`);
    },
    brokerDown: async (id) => control.send(`down ${broker(id)}`),
    brokerUp: async (id) => control.send(`up ${broker(id)}`),
    setRtt: async (id, ms) => {
      assertInteger('rtt', ms, 0);
      await control.send(`rtt ${broker(id)} ${ms}`);
    },
    setPartitionLeader: async (topic, partition, id) => {
      assertTopicName(topic);
      assertInteger('partition', partition, 0);
      await control.send(`leader ${topic} ${partition} ${broker(id)}`);
    },
    pushRequestErrors: async (apiKey, errorCode, count = 1) => {
      assertInteger('apiKey', apiKey, 0);
      assertInteger('errorCode', errorCode, -1);
      assertInteger('count', count, 1);
      await control.send(`reqerr ${apiKey} ${errorCode} ${count}`);
    },
    stop: () => control.stop(),
  };
}

function assertInteger(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${what} must be an integer >= ${min}, got ${value}`);
}

function assertTopicName(name: string): void {
  if (!TOPIC_NAME.test(name)) throw new Error(`Invalid Kafka topic name: ${JSON.stringify(name)}`);
}

/** Compiled once per source/header content into a cache dir, so edits to the C file recompile. */
export async function ensureKafkaMockBinary(): Promise<string> {
  const sourcePath = harnessFile('kafka-mock.c');
  if (!existsSync(MOCK_HEADER)) {
    throw new Error(`${MOCK_HEADER} is missing: run tools/harness/ensure-system-deps.sh (as root)`);
  }
  const hash = createHash('sha256')
    .update(await readFile(sourcePath))
    .update(await readFile(MOCK_HEADER))
    .update(GCC_ARGS.join(' '))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = join(tmpdir(), 'writeback-kafka-mock');
  const binary = join(cacheDir, `kafka-mock-${hash}`);
  if (existsSync(binary)) return binary;
  await mkdir(cacheDir, { recursive: true });
  const partial = `${binary}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await runCommand('gcc', [...GCC_ARGS, '-o', partial, sourcePath, '-lrdkafka', '-lz', '-lpthread']);
    await rename(partial, binary);
  } finally {
    await rm(partial, { force: true });
  }
  return binary;
}

function spawnMock(binary: string, brokers: number, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    const child = spawnProcessGroup(binary, [String(brokers)], ['pipe', 'pipe', log]);
    child.stdin?.on('error', () => undefined);
    // A forgotten stop() must not keep a test runner alive: the mock exits on stdin EOF.
    child.unref();
    (child.stdin as Socket | null)?.unref();
    (child.stdout as Socket | null)?.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

interface LineWaiter {
  resolve(line: string): void;
  reject(error: Error): void;
}

/** The stdin/stdout protocol: one command in flight at a time, each answered by one line. */
class MockControl {
  private readonly lines: string[] = [];
  private readonly waiters: LineWaiter[] = [];
  private exitError: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string,
  ) {
    if (!child.stdout) throw new Error('kafka mock was spawned without a stdout pipe');
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.on('exit', (code, signal) => this.onExit(`kafka mock exited (${signal ?? `code ${code}`})`));
    child.on('error', (error) => this.onExit(`kafka mock could not run: ${error.message}`));
  }

  async readBootstrap(): Promise<string[]> {
    const line = await this.nextLine('BOOTSTRAP line');
    const match = /^BOOTSTRAP (\S+)$/.exec(line);
    if (!match?.[1]) throw new Error(`kafka mock: expected BOOTSTRAP, got ${JSON.stringify(line)}`);
    return match[1].split(',');
  }

  send(command: string): Promise<void> {
    const run = this.queue.then(() => this.exchange(command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    if (!hasExited(this.child)) {
      this.child.stdin?.end('quit\n');
      await waitFor(() => hasExited(this.child), {
        timeoutMs: 5_000,
        intervalMs: 20,
        description: 'kafka mock to quit',
      }).catch(() => undefined);
    }
    await stopProcessGroup(this.child);
  }

  private async exchange(command: string): Promise<void> {
    this.child.stdin?.write(`${command}\n`);
    const reply = await this.nextLine(`reply to "${command}"`);
    if (reply === 'OK') return;
    throw new Error(`kafka mock: "${command}" failed: ${reply.replace(/^ERR /, '')}`);
  }

  private nextLine(description: string): Promise<string> {
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`kafka mock: no ${description} within ${COMMAND_TIMEOUT_MS}ms (log: ${this.logFile})`));
      }, COMMAND_TIMEOUT_MS);
      const waiter: LineWaiter = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private onLine(line: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(line);
    else this.lines.push(line);
  }

  private onExit(reason: string): void {
    this.exitError ??= new Error(`${reason}; see ${this.logFile}`);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.exitError);
  }
}
