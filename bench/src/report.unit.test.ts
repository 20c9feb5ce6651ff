import { checkTargets, pipelineSeconds, renderMarkdown, type BenchResult, type CpuPhase } from './report';
import { summarize } from './stats';

const latency = (values: number[]) => summarize(values);

function resultWith(overrides: Partial<BenchResult['writeback']> = {}): BenchResult {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 8, node: 'v20.20.2', os: 'Debian 12', samba: '4.17' },
    settings: {
      users: 200,
      forests: 2,
      connectionsPerForest: 4,
      consumerConcurrency: 8,
      executorPartitions: 8,
      operations: 100,
      arrivalRate: 50,
      arrivalShare: 0.5,
      lightRate: 5,
      lightShare: 0.05,
      lightOperations: 100,
      callers: 64,
    },
    seeding: { users: 200, ms: 4_000 },
    baseline: {
      throughput: 100,
      latencyAtRate: latency([30, 40]),
      latencyLight: latency([25, 30]),
      latencySaturated: latency([60, 80]),
    },
    writeback: {
      throughput: 95,
      latencyAtRate: latency([38, 70]),
      latencyLight: latency([31, 36]),
      latencySaturated: latency([90, 120]),
      notApplied: 0,
      stages: { 'LDAP: find user, write (incl. pool wait)': latency([30, 35]) },
      stagesLight: { 'LDAP: find user, write (incl. pool wait)': latency([20, 25]) },
      ...overrides,
    },
    massReset: {
      users: 200,
      submitMs: 1_000,
      drainMs: 4_000,
      refused: 0,
      applied: 200,
      rejected: 0,
      failed: 0,
      unfinished: 0,
      lost: 0,
      duplicated: 0,
    },
    memory: [
      { process: 'policy-gate', peakMiB: 150 },
      { process: 'executor-corp', peakMiB: 120 },
    ],
    cpu: [],
  };
}

describe('renderMarkdown', () => {
  it('puts each Writeback figure next to the baseline measured in the same run, with the ratio', () => {
    const markdown = renderMarkdown(resultWith());

    expect(markdown).toContain('| max sustained throughput | 100.0/s | 95.0/s | 0.95× | |');
    expect(markdown).toContain('| latency at 50.0/s p50 | 30.0 ms | 38.0 ms | 1.27× | +8.0 ms |');
    expect(markdown).toContain(
      '| latency at 5.0/s (light load, 100 operations) p50 | 25.0 ms | 31.0 ms | 1.24× | +6.0 ms |',
    );
    expect(markdown).toContain(
      '| LDAP: find user, write (incl. pool wait) | 30.0 ms | 35.0 ms | 35.0 ms | 20.0 ms | 25.0 ms | 25.0 ms |',
    );
    expect(markdown).toContain('| drain throughput | 50.0/s |');
    expect(markdown).toContain('| policy-gate | 150 MiB |');
    expect(markdown).toContain('Machine: 2 × Test CPU, 8.0 GiB');
  });
});

describe('checkTargets', () => {
  const closedLoop = (pipelineSecondsTotal: number): CpuPhase => ({
    phase: 'Writeback, closed loop',
    operations: 100,
    wallMs: 10_000,
    seconds: { 'Samba AD DCs': 3, 'policy-gate': pipelineSecondsTotal / 2, PostgreSQL: pipelineSecondsTotal / 2 },
  });

  it('judges the issue targets against the run’s own baseline', () => {
    const checks = checkTargets({ ...resultWith(), cpu: [closedLoop(0.8)] });

    expect(checks.map((c) => [c.target, c.met])).toEqual([
      ['CPU per operation, all of Writeback (closed loop) ≤ 10 ms', true],
      ['added latency at light load p50 ≤ 10 ms', true],
      ['added latency at light load p99 ≤ 30 ms', true],
      ['added latency at half the baseline rate p50 ≤ 10 ms', true],
      ['added latency at half the baseline rate p99 ≤ 40 ms', true],
      ['throughput ≥ 0.8 × baseline', true],
      ['mass reset of 200 users: 0 lost, 0 duplicated', true],
      ['each service ≤ 150 MiB peak RSS', true],
    ]);
  });

  it('reports a target missed, with the figure that missed it', () => {
    const checks = checkTargets({
      ...resultWith({ throughput: 50, latencyLight: latency([45, 200]) }),
      cpu: [closedLoop(4.5)],
      memory: [{ process: 'policy-gate', peakMiB: 151 }],
    });
    const byTarget = new Map(checks.map((c) => [c.target, c]));

    expect(byTarget.get('CPU per operation, all of Writeback (closed loop) ≤ 10 ms')).toMatchObject({
      measured: '45.0 ms',
      met: false,
    });
    expect(byTarget.get('added latency at light load p50 ≤ 10 ms')).toMatchObject({ measured: '20.0 ms', met: false });
    expect(byTarget.get('added latency at light load p99 ≤ 30 ms')?.met).toBe(false);
    expect(byTarget.get('throughput ≥ 0.8 × baseline')).toEqual({
      target: 'throughput ≥ 0.8 × baseline',
      measured: '0.50×',
      met: false,
    });
    expect(byTarget.get('each service ≤ 150 MiB peak RSS')).toMatchObject({ measured: '151 MiB at most', met: false });
  });

  it('does not count the CPU target as met when the run measured no CPU', () => {
    expect(checkTargets(resultWith())[0]).toMatchObject({ measured: 'not measured', met: false });
  });
});

describe('the CPU section', () => {
  const baselinePhase: CpuPhase = {
    phase: 'baseline, closed loop',
    operations: 100,
    wallMs: 2_000,
    seconds: { 'Samba AD DCs': 5, 'load generator (this benchmark)': 0.5 },
  };
  const writebackPhase: CpuPhase = {
    phase: 'Writeback, closed loop',
    operations: 100,
    wallMs: 10_000,
    seconds: {
      'Samba AD DCs': 6,
      'policy-gate': 2,
      'executor-corp': 3,
      PostgreSQL: 1,
      'load generator (this benchmark)': 1,
      other: 4,
    },
  };

  it("counts Writeback's own CPU without the DCs, the load generator or unrelated processes", () => {
    expect(pipelineSeconds(writebackPhase)).toBe(6);
  });

  it('reports milliseconds of CPU per operation for each component and phase, and the bounds they imply', () => {
    const markdown = renderMarkdown({ ...resultWith(), cpu: [baselinePhase, writebackPhase] });

    expect(markdown).toContain('| component | baseline, closed loop | Writeback, closed loop |');
    expect(markdown).toContain('| Samba AD DCs | 50.0 ms | 60.0 ms |');
    expect(markdown).toContain('| policy-gate | 0.0 ms | 20.0 ms |');
    expect(markdown).toContain('| **Writeback (all its services, PostgreSQL, the broker)** | 0.0 ms | 60.0 ms |');
    // 2 cores: (2 × 1000) / (60 + 60) ms, / 50 ms, and / 60 ms alone.
    expect(markdown).toContain("bounded by 16.7/s and the baseline's by 40.0/s");
    expect(markdown).toContain('at up to 33.3/s');
  });

  it('leaves the section out when no phase was measured', () => {
    expect(renderMarkdown(resultWith())).not.toContain('## CPU per operation, by component');
  });
});
