import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import {
  ensureSystemDeps,
  startSambaForest,
  KAFKA_DEFAULT_JVM_OPTIONS,
  startWritebackFixture,
  type SambaForest,
  type WritebackFixture,
} from '@writeback/testing';
import { DirectLdap } from './baseline';
import { cpuBetween, cpuSnapshot, measuringCpu, type Classify } from './cpu';
import { compareWrites, passwordWriteCounts } from './dc-writes';
import { GateClient, resetRequest, type WritebackSample } from './gate-client';
import { closedLoop, openLoop } from './load';
import { peakRssMiB } from './memory';
import {
  lightOperations,
  massResetDeadlineMs,
  parseOptions,
  serviceNodeArgs,
  USAGE,
  type BenchOptions,
} from './options';
import {
  checkTargets,
  renderMarkdown,
  type BenchResult,
  DOMAIN_CONTROLLERS,
  LOAD_GENERATOR,
  type CpuPhase,
  type MachineInfo,
  type MassResetResult,
  WRITEBACK_CLOSED_LOOP,
} from './report';
import { executorTimings, stageLatencies } from './stages';
import { summarize, throughput } from './stats';

const BENCH_OU = 'OU=Bench';
const WARM_UP_OPERATIONS = 20;
const SUBMITTERS = 32;
/** The mass reset gives up when no operation has ended for this long. */
const STALL_MS = 180_000;

const log = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface Forests {
  all: [SambaForest, SambaForest];
  seedMs: number;
}

const samOf = (index: number): string => `bench${String(index).padStart(5, '0')}`;

async function startForests(options: BenchOptions): Promise<Forests> {
  const perForest = options.users / 2;
  const specs = [
    { name: 'benchcorp', realm: 'BENCHCORP.EXAMPLE.TEST', netbiosDomain: 'BENCHCORP' },
    { name: 'benchfab', realm: 'BENCHFAB.EXAMPLE.TEST', netbiosDomain: 'BENCHFAB' },
  ];
  const started = await Promise.all(
    specs.map((spec, f) =>
      startSambaForest({
        ...spec,
        ip: options.ips[f] as string,
        workDir: join(options.workDir, spec.name),
        ous: ['Bench'],
        bulkUsers: Array.from({ length: perForest }, (_, i) => ({
          sam: samOf(i),
          password: `Initial-${samOf(i)}-Pw1!`,
          ou: 'Bench',
        })),
        startTimeoutMs: 180_000,
      }),
    ),
  );
  for (const forest of started) {
    const t = forest.startupTimings;
    log(
      `forest ${forest.name}: provision ${t.provisionMs} ms, seed ${perForest} users ${t.seedMs} ms, start ${t.startMs} ms`,
    );
  }
  return {
    all: started as [SambaForest, SambaForest],
    seedMs: Math.max(...started.map((f) => f.startupTimings.seedMs)),
  };
}

async function machineInfo(): Promise<MachineInfo> {
  const samba = await promisify(execFile)('samba', ['-V']).then(
    ({ stdout }) => stdout.trim(),
    () => 'samba ?',
  );
  const os = await promisify(execFile)('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']).then(
    ({ stdout }) => stdout.trim(),
    () => `Linux ${release()}`,
  );
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    os,
    samba,
  };
}

/** Operation i targets forest i mod 2 and walks through its users. */
function target(forests: Forests, options: BenchOptions, index: number): { forest: number; upn: string } {
  const forest = index % 2;
  const user = Math.floor(index / 2) % (options.users / 2);
  return { forest, upn: `${samOf(user)}@${forests.all[forest]?.domainDnsName ?? ''}` };
}

let passwordCounter = 0;
const newPassword = (): string => `Bench-${Date.now().toString(36)}-${passwordCounter++}-Aa1!`;

/** Service processes by pid, filled in once the services run; everything else by its command line. */
const servicePids = new Map<number, string>();

const classify: Classify = ({ pid, comm, cmdline }) => {
  const service = servicePids.get(pid);
  if (service) return service;
  if (pid === process.pid) return LOAD_GENERATOR;
  if (/samba|smbd|winbindd/.test(`${comm} ${cmdline}`)) return DOMAIN_CONTROLLERS;
  if (/postgres/.test(`${comm} ${cmdline}`)) return 'PostgreSQL';
  if (/\bkafka\.Kafka\b/.test(cmdline)) return 'Apache Kafka';
  return 'other';
};

/** Runs one phase of `operations` and records the CPU every component spent on it. */
async function cpuPhase<T>(phases: CpuPhase[], phase: string, operations: number, work: () => Promise<T>): Promise<T> {
  const { result, cpu, wallMs } = await measuringCpu(process.pid, classify, work);
  phases.push({ phase, operations, wallMs, seconds: Object.fromEntries(cpu) });
  return result;
}

async function measureBaseline(forests: Forests, options: BenchOptions, phases: CpuPhase[]) {
  const direct = await Promise.all(forests.all.map((forest) => DirectLdap.open(forest, options.connections)));
  const reset = (index: number): Promise<number> => {
    const { forest, upn } = target(forests, options, index);
    return (direct[forest] as DirectLdap).reset(upn, newPassword());
  };
  try {
    await closedLoop(WARM_UP_OPERATIONS, options.connections * 2, reset);
    log(`baseline: ${options.operations} resets, ${options.connections} connections per forest, closed loop`);
    const saturated = await cpuPhase(phases, 'baseline, closed loop', options.operations, () =>
      closedLoop(options.operations, options.connections * 2, reset),
    );
    const rate = throughput(options.operations, saturated.elapsedMs);
    const arrivalRate = rate * options.arrivalShare;
    log(`baseline: ${rate.toFixed(1)}/s; now ${options.operations} resets arriving at ${arrivalRate.toFixed(1)}/s`);
    const atRate = await openLoop(options.operations, arrivalRate, reset);
    const lightRate = rate * options.lightShare;
    log(`baseline: ${lightOperations(options)} resets arriving at ${lightRate.toFixed(1)}/s (light load)`);
    const light = await openLoop(lightOperations(options), lightRate, reset);
    return {
      throughput: rate,
      arrivalRate,
      lightRate,
      latencySaturated: summarize(saturated.results),
      latencyAtRate: summarize(atRate.results),
      latencyLight: summarize(light.results),
    };
  } finally {
    await Promise.all(direct.map((d) => d.close()));
  }
}

async function measureWriteback(
  fixture: WritebackFixture,
  forests: Forests,
  options: BenchOptions,
  rates: { arrivalRate: number; lightRate: number },
  phases: CpuPhase[],
) {
  const { arrivalRate, lightRate } = rates;
  const gate = new GateClient(fixture.system.gateUrl, fixture.issuer);
  const reset = (index: number): Promise<WritebackSample> =>
    gate.run(resetRequest(target(forests, options, index).upn, newPassword()));
  await closedLoop(WARM_UP_OPERATIONS, options.callers, reset);
  log(`writeback: ${lightOperations(options)} resets arriving at ${lightRate.toFixed(1)}/s (light load)`);
  const light = await openLoop(lightOperations(options), lightRate, reset);
  log(`writeback: ${options.operations} resets arriving at ${arrivalRate.toFixed(1)}/s`);
  const atRate = await openLoop(options.operations, arrivalRate, reset);
  log(`writeback: ${options.operations} resets, ${options.callers} callers, closed loop`);
  const saturated = await cpuPhase(phases, WRITEBACK_CLOSED_LOOP, options.operations, () =>
    closedLoop(options.operations, options.callers, reset),
  );
  const latency = (samples: WritebackSample[]) => summarize(samples.map((s) => s.endedAt - s.sentAt));
  const notApplied = [...light.results, ...atRate.results, ...saturated.results].filter(
    (s) => s.view.status !== 'applied',
  ).length;
  const timings = executorTimings(await fixture.logs(/executor/));
  const stagesOf = (samples: WritebackSample[]) =>
    stageLatencies(
      samples.map((s) => ({ ...s, history: s.view.history })),
      timings,
      (s) => (s as unknown as WritebackSample).operationId,
    );
  return {
    throughput: throughput(options.operations, saturated.elapsedMs),
    latencyAtRate: latency(atRate.results),
    latencyLight: latency(light.results),
    latencySaturated: latency(saturated.results),
    notApplied,
    stages: stagesOf(atRate.results),
    stagesLight: stagesOf(light.results),
  };
}

async function massReset(
  fixture: WritebackFixture,
  forests: Forests,
  options: BenchOptions,
  phases: CpuPhase[],
): Promise<MassResetResult> {
  const gate = new GateClient(fixture.system.gateUrl, fixture.issuer);
  const before = await Promise.all(forests.all.map((f) => passwordWriteCounts(f, BENCH_OU)));
  log(`mass reset: submitting ${options.users} forced resets`);
  const refusals: string[] = [];
  const submitStartEpoch = Date.now();
  const cpuBefore = await cpuSnapshot(process.pid, classify);
  const submitted = await closedLoop(options.users, SUBMITTERS, (index) => {
    const forest = index < options.users / 2 ? 0 : 1;
    const domain = forests.all[forest]?.domainDnsName ?? '';
    // A refused submission is counted, not fatal: the gate's answer to a burst is itself a finding.
    return gate
      .submit(resetRequest(`${samOf(index % (options.users / 2))}@${domain}`, newPassword(), true))
      .catch((error: unknown) => {
        refusals.push(error instanceof Error ? error.message.slice(0, 200) : String(error));
        return undefined;
      });
  });
  const accepted = submitted.results.filter((id): id is string => id !== undefined);
  if (refusals.length > 0) log(`mass reset: ${refusals.length} submissions refused, first: ${refusals[0]}`);
  if (gate.retriedSubmissions > 0) log(`mass reset: ${gate.retriedSubmissions} submissions retried after 503/429`);
  log(`mass reset: submitted in ${(submitted.elapsedMs / 1000).toFixed(1)} s; draining`);
  const db = new PgClient({ connectionString: fixture.databaseUrl });
  await db.connect();
  const counts = { applied: 0, rejected: 0, failed: 0 };
  let lastCompleted = submitStartEpoch;
  try {
    let ended = 0;
    let progressAt = Date.now();
    while (ended < accepted.length && Date.now() - progressAt < STALL_MS) {
      await delay(500);
      const { rows } = await db.query<{ status: string; n: number; last: Date | null }>(
        `SELECT status, count(*)::int AS n, max(completed_at) AS last FROM operations
         WHERE id = ANY($1::uuid[]) GROUP BY status`,
        [accepted],
      );
      const now = { applied: 0, rejected: 0, failed: 0 };
      for (const row of rows) {
        if (row.status in now) now[row.status as keyof typeof now] = row.n;
        if (row.last && row.status in now) lastCompleted = Math.max(lastCompleted, row.last.getTime());
      }
      const total = now.applied + now.rejected + now.failed;
      if (total > ended) progressAt = Date.now();
      if (Math.floor(total / 1000) > Math.floor(ended / 1000)) log(`mass reset: ${total} ended`);
      ended = total;
      Object.assign(counts, now);
    }
  } finally {
    await db.end();
  }
  phases.push({
    phase: 'mass reset (submitted and drained)',
    operations: accepted.length,
    wallMs: Date.now() - submitStartEpoch,
    seconds: Object.fromEntries(cpuBetween(cpuBefore, await cpuSnapshot(process.pid, classify))),
  });
  // Late redeliveries would write again: give them a moment before counting on the DCs.
  await delay(5_000);
  const after = await Promise.all(forests.all.map((f) => passwordWriteCounts(f, BENCH_OU)));
  let lost = 0;
  let duplicated = 0;
  forests.all.forEach((forest, f) => {
    // Only accepted operations can be lost; refused ones are counted apart.
    const perForest = options.users / 2;
    const dns = submitted.results.flatMap((id, index) =>
      id !== undefined && Math.floor(index / perForest) === f
        ? [`CN=${samOf(index % perForest)},${BENCH_OU},${forest.baseDn}`]
        : [],
    );
    const compared = compareWrites(before[f] ?? new Map(), after[f] ?? new Map(), dns);
    lost += compared.lost;
    duplicated += compared.duplicated;
  });
  const ended = counts.applied + counts.rejected + counts.failed;
  return {
    users: options.users,
    submitMs: submitted.elapsedMs,
    drainMs: lastCompleted - submitStartEpoch,
    refused: refusals.length,
    ...counts,
    unfinished: accepted.length - ended,
    lost,
    duplicated,
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(process.argv.slice(2), process.env, join(__dirname, '..', 'results'));
  if (process.getuid?.() !== 0)
    throw new Error('the benchmark starts Samba AD DCs and adds loopback addresses: run it as root');
  const startedAt = new Date();
  await ensureSystemDeps();
  log(`seeding ${options.users} users over two forests at ${options.ips.join(', ')}`);
  const forests = await startForests(options);
  let fixture: WritebackFixture | undefined;
  try {
    const cpu: CpuPhase[] = [];
    const baseline = await measureBaseline(forests, options, cpu);
    const mode = options.transport === 'kafka' ? 'distributed' : 'embedded';
    log(`starting the services in ${mode} mode`);
    fixture = await startWritebackFixture({
      mode,
      forests: forests.all,
      ...(mode === 'distributed'
        ? { executorPartitions: options.executorPartitions, kafkaJvmOptions: KAFKA_DEFAULT_JVM_OPTIONS }
        : {}),
      nodeArgs: serviceNodeArgs(options),
      env: {
        // Production settings, not the test fixture's: domain configuration is cached as shipped.
        WRITEBACK_CONFIG_CACHE_MS: '2000',
        WRITEBACK_EXECUTOR_LDAP_POOL_SIZE: String(options.connections),
        WRITEBACK_CONSUMER_CONCURRENCY: String(options.consumerConcurrency),
        // The mass reset is a bulk job, not a user waiting: its operations may queue for longer
        // than the default two minutes before an executor claims them (ADR 0011).
        WRITEBACK_OPERATION_DEADLINE_MS: String(massResetDeadlineMs(options.users)),
        ...(options.fetchMaxWaitMs ? { WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS: String(options.fetchMaxWaitMs) } : {}),
      },
    });
    for (const p of fixture.system.processes.values()) servicePids.set(p.pid, p.name);
    const writeback = await measureWriteback(fixture, forests, options, baseline, cpu);
    const mass = await massReset(fixture, forests, options, cpu);
    const memory = await Promise.all(
      [...fixture.system.processes.values()].map(async (p) => ({ process: p.name, peakMiB: await peakRssMiB(p.pid) })),
    );
    const result: BenchResult = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: await machineInfo(),
      settings: {
        transport: options.transport,
        users: options.users,
        forests: 2,
        connectionsPerForest: options.connections,
        consumerConcurrency: options.consumerConcurrency,
        executorPartitions: options.executorPartitions,
        operations: options.operations,
        arrivalRate: baseline.arrivalRate,
        arrivalShare: options.arrivalShare,
        lightRate: baseline.lightRate,
        lightShare: options.lightShare,
        lightOperations: lightOperations(options),
        callers: options.callers,
        ...(options.heapMiB ? { serviceHeapMiB: options.heapMiB } : {}),
        ...(options.fetchMaxWaitMs ? { fetchMaxWaitMs: options.fetchMaxWaitMs } : {}),
      },
      seeding: { users: options.users, ms: forests.seedMs },
      baseline: {
        throughput: baseline.throughput,
        latencyAtRate: baseline.latencyAtRate,
        latencyLight: baseline.latencyLight,
        latencySaturated: baseline.latencySaturated,
      },
      writeback,
      massReset: mass,
      memory,
      cpu,
    };
    const markdown = renderMarkdown(result);
    await mkdir(options.outDir, { recursive: true });
    const stem = join(
      options.outDir,
      `${startedAt.toISOString().slice(0, 19).replace(/:/g, '-')}-${options.users}-users${options.transport === 'embedded' ? '-embedded' : ''}`,
    );
    await writeFile(`${stem}.md`, markdown);
    await writeFile(`${stem}.json`, `${JSON.stringify({ ...result, targets: checkTargets(result) }, null, 2)}\n`);
    process.stdout.write(`${markdown}\nWritten to ${stem}.md and ${stem}.json\n`);
  } finally {
    await fixture?.stop();
    await Promise.all(forests.all.map((f) => f.stop()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
