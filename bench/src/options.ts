import { parseArgs } from 'node:util';

/** The message transport under test: Apache Kafka (distributed mode) or PostgreSQL (the embedded default). */
export type BenchTransport = 'kafka' | 'embedded';

export interface BenchOptions {
  transport: BenchTransport;
  /** Users seeded, split evenly over the two forests; all of them get the mass reset. */
  users: number;
  /** Operations in each latency and throughput phase. */
  operations: number;
  /** LDAPS connections per forest: the baseline's and the executor pool's. */
  connections: number;
  /** Share of the baseline's throughput used as the fixed arrival rate. */
  arrivalShare: number;
  /** Share of the baseline's throughput used as the light-load rate: what the hops cost without a queue. */
  lightShare: number;
  /** Callers in flight when measuring Writeback's maximum throughput. */
  callers: number;
  consumerConcurrency: number;
  executorPartitions: number;
  /** Loopback addresses of the two forests, away from the integration tests' .11 and .12. */
  ips: [string, string];
  workDir: string;
  outDir: string;
  /** Where every service writes a V8 CPU profile (`--cpu-prof`) when it stops; off when unset. */
  cpuProfileDir: string | undefined;
  /** V8 old-space limit of every service in MiB (as a container memory limit sets it); V8's own when unset. */
  heapMiB: number | undefined;
  /** WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS of every service (Kafka only); the production default when unset. */
  fetchMaxWaitMs: number | undefined;
}

export const USAGE = `npm run bench -- [options]   (as root: it starts Samba AD DCs)

  --transport T         kafka (distributed mode on a three-node Apache Kafka cluster, the
                        default) or embedded (the embedded default: PostgreSQL carries the
                        messages, one executor, as \`npm start\` runs it)
  --users N             users seeded and mass-reset, over both forests (default 10000)
  --operations N        operations per latency/throughput phase (default 1000)
  --connections N       LDAPS connections per forest, baseline and executor alike (default 4)
  --arrival-share X     fixed arrival rate as a share of the baseline's throughput (default 0.5)
  --light-share X       light-load rate, likewise (default 0.05): at most 100 operations there
                        show what the hops add without a queue
  --callers N           concurrent callers for Writeback's maximum throughput (default 64)
  --consumer-concurrency N   WRITEBACK_CONSUMER_CONCURRENCY of every service (default 8)
  --executor-partitions N    partitions per executor topic (default 8)
  --ips A,B             the forests' loopback addresses (default 127.0.0.41,127.0.0.42)
  --work-dir DIR        forests, database and logs (default /tmp/writeback-bench)
  --out DIR             where results/<date>.md and .json go (default bench/results)
  --cpu-profile DIR     every service writes a CPU profile (.cpuprofile, one per process id) here
  --heap-mib N          every service runs with --max-old-space-size=N --max-semi-space-size=4
                        (default: V8's own sizing, which on a large machine lets heaps grow)
  --fetch-max-wait-ms N WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS of every service (default: the services'
                        own, 250). Kafka answers a fetch as soon as a message arrives, so this
                        bounds only idle polling (docs/benchmarks.md)

Environment: BENCH_USERS and BENCH_OPERATIONS stand in for the first two flags.`;

function positive(name: string, raw: string, integer = true): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${raw}`);
  }
  return value;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      transport: { type: 'string', default: 'kafka' },
      users: { type: 'string' },
      operations: { type: 'string' },
      connections: { type: 'string', default: '4' },
      'arrival-share': { type: 'string', default: '0.5' },
      'light-share': { type: 'string', default: '0.05' },
      callers: { type: 'string', default: '64' },
      'consumer-concurrency': { type: 'string', default: '8' },
      'executor-partitions': { type: 'string', default: '8' },
      ips: { type: 'string', default: '127.0.0.41,127.0.0.42' },
      'work-dir': { type: 'string', default: '/tmp/writeback-bench' },
      out: { type: 'string', default: defaultOutDir },
      'cpu-profile': { type: 'string' },
      'heap-mib': { type: 'string' },
      'fetch-max-wait-ms': { type: 'string' },
    },
    strict: true,
  });
  const users = positive('users', values.users ?? env['BENCH_USERS'] ?? '10000');
  if (users % 2 !== 0) throw new Error(`--users must be even (split over two forests), got ${users}`);
  const ips = values.ips.split(',').map((ip) => ip.trim());
  if (ips.length !== 2 || ips[0] === ips[1]) throw new Error(`--ips needs two different addresses, got ${values.ips}`);
  const share = positive('arrival-share', values['arrival-share'], false);
  if (share > 1) throw new Error(`--arrival-share must be at most 1, got ${share}`);
  const lightShare = positive('light-share', values['light-share'], false);
  if (lightShare > 1) throw new Error(`--light-share must be at most 1, got ${lightShare}`);
  const transport = values.transport;
  if (transport !== 'kafka' && transport !== 'embedded') {
    throw new Error(`--transport must be kafka or embedded, got ${transport}`);
  }
  if (transport === 'embedded' && values['fetch-max-wait-ms'] !== undefined) {
    throw new Error('--fetch-max-wait-ms is a Kafka setting: it does not apply to --transport embedded');
  }
  return {
    transport,
    users,
    operations: positive('operations', values.operations ?? env['BENCH_OPERATIONS'] ?? '1000'),
    connections: positive('connections', values.connections),
    arrivalShare: share,
    lightShare,
    callers: positive('callers', values.callers),
    consumerConcurrency: positive('consumer-concurrency', values['consumer-concurrency']),
    executorPartitions: positive('executor-partitions', values['executor-partitions']),
    ips: [ips[0] as string, ips[1] as string],
    workDir: values['work-dir'],
    outDir: values.out,
    cpuProfileDir: values['cpu-profile'],
    heapMiB: values['heap-mib'] === undefined ? undefined : positive('heap-mib', values['heap-mib']),
    fetchMaxWaitMs:
      values['fetch-max-wait-ms'] === undefined
        ? undefined
        : positive('fetch-max-wait-ms', values['fetch-max-wait-ms']),
  };
}

/** Operations of the light-load phases: few, since they arrive slowly. */
export const lightOperations = (options: Pick<BenchOptions, 'operations'>): number => Math.min(options.operations, 100);

/** Node flags of every service: a CPU profile and a heap limit, when asked for. */
export function serviceNodeArgs(options: Pick<BenchOptions, 'cpuProfileDir' | 'heapMiB'>): string[] {
  return [
    ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    ...(options.heapMiB ? [`--max-old-space-size=${options.heapMiB}`, '--max-semi-space-size=4'] : []),
  ];
}

/**
 * The operation deadline the benchmark runs the gate with: the default two minutes, or longer
 * when the mass reset could not drain in that time (a quarter second per user, which is about
 * half the slowest drain rate measured here), so that none of it ends DEADLINE_EXCEEDED.
 */
export function massResetDeadlineMs(users: number): number {
  return Math.min(86_400_000, Math.max(120_000, users * 250));
}
