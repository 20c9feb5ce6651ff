import type { LatencySummary } from './stats';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  os: string;
  samba: string;
}

export interface BenchSettings {
  /** kafka: distributed mode on Apache Kafka; embedded: PostgreSQL carries the messages. Absent in older results: kafka. */
  transport?: 'kafka' | 'embedded';
  users: number;
  forests: number;
  /** LDAPS connections per forest, for the baseline and the executor's pool alike. */
  connectionsPerForest: number;
  consumerConcurrency: number;
  executorPartitions: number;
  /** Operations in each latency and throughput phase. */
  operations: number;
  /** Fixed arrival rate of the latency phases (ops/s): a share of the baseline's throughput. */
  arrivalRate: number;
  arrivalShare: number;
  /** Light-load rate (ops/s) and its operations: what the hops add without a queue. */
  lightRate: number;
  lightShare: number;
  lightOperations: number;
  /** Callers in flight in the throughput phases. */
  callers: number;
  /** The services' V8 old-space limit, when the run set one (`--heap-mib`). */
  serviceHeapMiB?: number;
  /** The services' Kafka fetch wait, when the run set one (`--fetch-max-wait-ms`). */
  fetchMaxWaitMs?: number;
}

export interface MassResetResult {
  users: number;
  submitMs: number;
  drainMs: number;
  /** Submissions the gate did not accept (not 202). */
  refused: number;
  applied: number;
  rejected: number;
  failed: number;
  unfinished: number;
  /** Users whose unicodePwd the DC did not write (replPropertyMetaData version unchanged). */
  lost: number;
  /** Writes beyond one per user, counted by the DC. */
  duplicated: number;
}

export interface ProcessMemory {
  process: string;
  peakMiB: number;
}

/** The components the CPU table treats apart from the pipeline. */
export const DOMAIN_CONTROLLERS = 'Samba AD DCs';
export const LOAD_GENERATOR = 'load generator (this benchmark)';
const OTHER = 'other';

/** CPU seconds each component spent on one phase of the run (from /proc, all descendants). */
export interface CpuPhase {
  phase: string;
  operations: number;
  wallMs: number;
  seconds: Record<string, number>;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: BenchSettings;
  seeding: { users: number; ms: number };
  baseline: {
    throughput: number;
    latencyAtRate: LatencySummary;
    latencyLight: LatencySummary;
    latencySaturated: LatencySummary;
  };
  writeback: {
    throughput: number;
    latencyAtRate: LatencySummary;
    latencyLight: LatencySummary;
    latencySaturated: LatencySummary;
    /** Operations that did not end applied in the latency and throughput phases. */
    notApplied: number;
    /** Per stage at the fixed arrival rate, and at light load. */
    stages: Record<string, LatencySummary>;
    stagesLight: Record<string, LatencySummary>;
  };
  massReset: MassResetResult;
  memory: ProcessMemory[];
  cpu: CpuPhase[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/** Issue 21's targets. */
const RSS_LIMIT_MIB = 150;
const CPU_LIMIT_MS = 10;
/** The CPU phase the CPU target is judged on. */
export const WRITEBACK_CLOSED_LOOP = 'Writeback, closed loop';

const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');
const rate = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)}/s` : 'n/a');
const ratio = (value: number, base: number): string =>
  Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${(value / base).toFixed(2)}×` : 'n/a';

/** The issue's targets, judged against this run's own baseline. */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const { baseline, writeback, massReset, memory } = result;
  const added = (wb: LatencySummary, base: LatencySummary, p: 'p50' | 'p99'): number => wb[p] - base[p];
  const lightP50 = added(writeback.latencyLight, baseline.latencyLight, 'p50');
  const lightP99 = added(writeback.latencyLight, baseline.latencyLight, 'p99');
  const rateP50 = added(writeback.latencyAtRate, baseline.latencyAtRate, 'p50');
  const rateP99 = added(writeback.latencyAtRate, baseline.latencyAtRate, 'p99');
  const share = writeback.throughput / baseline.throughput;
  const heaviest = memory.reduce((max, p) => Math.max(max, p.peakMiB), 0);
  const closedLoop = result.cpu.find((phase) => phase.phase === WRITEBACK_CLOSED_LOOP);
  const cpuMs =
    closedLoop && closedLoop.operations > 0 ? (pipelineSeconds(closedLoop) * 1000) / closedLoop.operations : undefined;
  return [
    {
      target: `CPU per operation, all of Writeback (closed loop) ≤ ${CPU_LIMIT_MS} ms`,
      measured: cpuMs === undefined ? 'not measured' : ms(cpuMs),
      met: cpuMs !== undefined && cpuMs <= CPU_LIMIT_MS,
    },
    { target: 'added latency at light load p50 ≤ 10 ms', measured: ms(lightP50), met: lightP50 <= 10 },
    { target: 'added latency at light load p99 ≤ 30 ms', measured: ms(lightP99), met: lightP99 <= 30 },
    { target: 'added latency at half the baseline rate p50 ≤ 10 ms', measured: ms(rateP50), met: rateP50 <= 10 },
    { target: 'added latency at half the baseline rate p99 ≤ 40 ms', measured: ms(rateP99), met: rateP99 <= 40 },
    { target: 'throughput ≥ 0.8 × baseline', measured: `${share.toFixed(2)}×`, met: share >= 0.8 },
    {
      target: `mass reset of ${massReset.users} users: 0 lost, 0 duplicated`,
      measured: `${massReset.lost} lost, ${massReset.duplicated} duplicated`,
      met: massReset.lost === 0 && massReset.duplicated === 0 && massReset.unfinished === 0 && massReset.refused === 0,
    },
    {
      target: `each service ≤ ${RSS_LIMIT_MIB} MiB peak RSS`,
      measured: `${heaviest.toFixed(0)} MiB at most`,
      met: memory.length > 0 && heaviest <= RSS_LIMIT_MIB,
    },
  ];
}

function latencyRows(label: string, base: LatencySummary, wb: LatencySummary): string[] {
  return (['p50', 'p95', 'p99'] as const).map(
    (p) => `| ${label} ${p} | ${ms(base[p])} | ${ms(wb[p])} | ${ratio(wb[p], base[p])} | +${ms(wb[p] - base[p])} |`,
  );
}

/** Writeback's own CPU per operation: every component but the DCs, the load generator and strangers. */
export function pipelineSeconds(phase: CpuPhase): number {
  return Object.entries(phase.seconds)
    .filter(([component]) => ![DOMAIN_CONTROLLERS, LOAD_GENERATOR, OTHER].includes(component))
    .reduce((sum, [, seconds]) => sum + seconds, 0);
}

function cpuSection(result: BenchResult): string[] {
  const phases = result.cpu;
  if (phases.length === 0) return [];
  const perOp = (phase: CpuPhase, seconds: number | undefined): string =>
    seconds === undefined || phase.operations === 0 ? '' : `${((seconds * 1000) / phase.operations).toFixed(1)} ms`;
  // The DCs first, then the rest by name.
  const components = [...new Set(phases.flatMap((p) => Object.keys(p.seconds)))].sort((a, b) =>
    a === DOMAIN_CONTROLLERS ? -1 : b === DOMAIN_CONTROLLERS ? 1 : a.localeCompare(b),
  );
  const writeback = phases.find((p) => p.phase.startsWith('Writeback'));
  const baseline = phases.find((p) => p.phase.startsWith('baseline'));
  const lines = [
    '## CPU per operation, by component',
    '',
    `CPU time (user + system, from \`/proc\`) each component spent in a phase, divided by the phase's operations. ` +
      'Unlike throughput, it does not depend on what else shares the machine.',
    '',
    `| component | ${phases.map((p) => p.phase).join(' | ')} |`,
    `|---|${phases.map(() => '---|').join('')}`,
    ...components.map((c) => `| ${c} | ${phases.map((p) => perOp(p, p.seconds[c] ?? 0)).join(' | ')} |`),
    `| **Writeback (all its services, PostgreSQL, the broker)** | ${phases.map((p) => perOp(p, pipelineSeconds(p))).join(' | ')} |`,
    `| wall time of the phase | ${phases.map((p) => `${(p.wallMs / 1000).toFixed(1)} s`).join(' | ')} |`,
    '',
  ];
  if (writeback && baseline && writeback.operations > 0 && baseline.operations > 0) {
    const dcBase = ((baseline.seconds[DOMAIN_CONTROLLERS] ?? 0) * 1000) / baseline.operations;
    const dcWb = ((writeback.seconds[DOMAIN_CONTROLLERS] ?? 0) * 1000) / writeback.operations;
    const pipeline = (pipelineSeconds(writeback) * 1000) / writeback.operations;
    const cores = result.machine.cpus;
    lines.push(
      `A reset costs the DCs ${dcBase.toFixed(1)} ms of CPU directly and ${dcWb.toFixed(1)} ms through Writeback; ` +
        `Writeback itself spends ${pipeline.toFixed(1)} ms per operation (${ratio(pipeline, dcWb)} the DC's share). ` +
        `Here the DCs and Writeback share ${cores} cores, so Writeback's throughput is bounded by ` +
        `${rate((cores * 1000) / (pipeline + dcWb))} and the baseline's by ${rate((cores * 1000) / dcBase)}; ` +
        `with the DCs on their own machines, as in production, these cores would carry Writeback's side at up to ` +
        `${rate((cores * 1000) / pipeline)}.`,
      '',
    );
  }
  return lines;
}

export function renderMarkdown(result: BenchResult): string {
  const { machine, settings, baseline, writeback, massReset } = result;
  const lines = [
    `# Benchmark ${result.startedAt}`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}, ` +
      `Node ${machine.node}, ${machine.samba}.`,
    `Transport: ${
      settings.transport === 'embedded'
        ? 'embedded default (PostgreSQL carries the messages; one executor)'
        : 'Apache Kafka, three brokers (distributed mode; one executor per forest)'
    }.`,
    `Settings: ${settings.users} users over ${settings.forests} forests, ${settings.connectionsPerForest} LDAPS ` +
      `connections per forest, consumer concurrency ${settings.consumerConcurrency}, ` +
      (settings.transport === 'embedded' ? '' : `${settings.executorPartitions} partitions per executor topic, `) +
      `${settings.operations} operations per phase, ` +
      `${settings.callers} callers in the throughput phases, arrival rate ${rate(settings.arrivalRate)} ` +
      `(${Math.round(settings.arrivalShare * 100)}% of the baseline's throughput)` +
      (settings.serviceHeapMiB
        ? `, every service's V8 heap limited to ${settings.serviceHeapMiB} MiB old space and 4 MiB semi-spaces`
        : `, V8's default heap sizing`) +
      (settings.fetchMaxWaitMs
        ? `; Kafka fetches wait at most ${settings.fetchMaxWaitMs} ms (WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS).`
        : '.'),
    `Seeding ${result.seeding.users} users: ${(result.seeding.ms / 1000).toFixed(1)} s.`,
    '',
    '| measure | direct LDAP (baseline) | Writeback | Writeback / baseline | added |',
    '|---|---|---|---|---|',
    `| max sustained throughput | ${rate(baseline.throughput)} | ${rate(writeback.throughput)} | ` +
      `${ratio(writeback.throughput, baseline.throughput)} | |`,
    ...latencyRows(`latency at ${rate(settings.arrivalRate)}`, baseline.latencyAtRate, writeback.latencyAtRate),
    ...latencyRows('latency at saturation', baseline.latencySaturated, writeback.latencySaturated),
    ...latencyRows(
      `latency at ${rate(settings.lightRate)} (light load, ${settings.lightOperations} operations)`,
      baseline.latencyLight,
      writeback.latencyLight,
    ),
    '',
    `Writeback operations not applied in those phases: ${writeback.notApplied}.`,
    '',
    '## Where a Writeback operation spends its time',
    '',
    `At the fixed arrival rate (${rate(settings.arrivalRate)}) and at light load (${rate(settings.lightRate)}), ` +
      'where no queue hides what each hop costs.',
    '',
    '| stage | p50 | p95 | p99 | at light load: p50 | p95 | p99 |',
    '|---|---|---|---|---|---|---|',
    ...Object.entries(writeback.stages).map(([stage, s]) => {
      const l = writeback.stagesLight[stage];
      return (
        `| ${stage} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ` +
        `${l ? `${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)}` : 'n/a | n/a | n/a'} |`
      );
    }),
    '',
    `## Mass forced reset: ${massReset.users} users across the forests, submitted at once`,
    '',
    '| measure | value |',
    '|---|---|',
    `| submitted in | ${ms(massReset.submitMs)} |`,
    `| drained in (first submit → last operation ended) | ${ms(massReset.drainMs)} |`,
    `| drain throughput | ${rate((massReset.users * 1000) / massReset.drainMs)} |`,
    `| refused at submission (not 202) | ${massReset.refused} |`,
    `| applied / rejected / failed / unfinished | ${massReset.applied} / ${massReset.rejected} / ` +
      `${massReset.failed} / ${massReset.unfinished} |`,
    `| lost (DC wrote no password) | ${massReset.lost} |`,
    `| duplicated (DC wrote a password more than once) | ${massReset.duplicated} |`,
    '',
    '## Peak RSS per process (VmHWM)',
    '',
    '| process | peak RSS |',
    '|---|---|',
    ...result.memory.map((p) => `| ${p.process} | ${p.peakMiB.toFixed(0)} MiB |`),
    '',
    ...cpuSection(result),
    '## Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...checkTargets(result).map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'no'} |`),
    '',
  ];
  return lines.join('\n');
}
