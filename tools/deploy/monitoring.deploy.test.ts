import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as YAML from 'yaml';
import { exportedSeries, metricNames, unexportedMetrics } from './monitoring';
import { CHART, type K8sObject, RenderError, renderChart, ROOT } from './render';

const SCENARIO = join(CHART, 'ci', 'values-alerts-dashboard.yaml');
const MINIMAL = join(CHART, 'ci', 'values-defaults-minimal.yaml');
const WITH_OPERATOR = { apiVersions: ['monitoring.coreos.com/v1'] };
const RULES_FILE = join(CHART, 'files', 'prometheus-rules.yaml');
const DASHBOARD_FILE = join(CHART, 'files', 'grafana-dashboard.json');

interface RuleGroups {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

/** `promtool check rules FILE` (Debian's prometheus package, installed by ensure-system-deps.sh). */
function promtoolCheckRules(rules: unknown): { ok: boolean; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'writeback-rules-')), 'rules.yaml');
  writeFileSync(file, YAML.stringify(rules));
  const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  if ((run.error as { code?: string } | undefined)?.code === 'ENOENT') {
    throw new Error('promtool is missing: run tools/harness/ensure-system-deps.sh (Debian prometheus)');
  }
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

function ruleExprs(rules: RuleGroups): { where: string; expr: string }[] {
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })));
}

function dashboardExprs(dashboard: Dashboard): { where: string; expr: string }[] {
  return dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr })));
}

describe('alerts and dashboard in the chart', () => {
  let objects: K8sObject[];
  let rules: RuleGroups;
  let dashboard: Dashboard;
  beforeAll(() => {
    objects = renderChart([SCENARIO], WITH_OPERATOR).manifests.map((m) => m.object);
    rules = (objects.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: RuleGroups }).spec;
    const map = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'writeback-dashboard') as unknown as
      { data: Record<string, string> } | undefined;
    dashboard = JSON.parse(map?.data['writeback.json'] ?? 'null') as Dashboard;
  });

  it('ships the rule file and the dashboard as they are in helm/writeback/files', () => {
    expect(rules).toEqual(YAML.parse(readFileSync(RULES_FILE, 'utf8')));
    expect(dashboard).toEqual(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')));
  });

  it('are off by default, and the PrometheusRule is refused without the Prometheus Operator', () => {
    const kinds = renderChart([MINIMAL], WITH_OPERATOR).manifests.map(
      (m) => `${m.object.kind}/${m.object.metadata.name}`,
    );
    expect(kinds).not.toContain('PrometheusRule/writeback');
    expect(kinds).not.toContain('ConfigMap/writeback-dashboard');
    const file = join(mkdtempSync(join(tmpdir(), 'writeback-chart-')), 'values.yaml');
    writeFileSync(file, YAML.stringify({ metrics: { prometheusRule: { enabled: true } } }));
    expect(() => renderChart([MINIMAL, file])).toThrow(RenderError);
    expect(() => renderChart([MINIMAL, file])).toThrow(/metrics.prometheusRule.enabled needs the Prometheus Operator/);
  });

  it('labels the dashboard for Grafana’s sidecar', () => {
    const map = objects.find((o) => o.metadata.name === 'writeback-dashboard') as K8sObject;
    expect(map.metadata.labels).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/component': 'monitoring' });
    expect(map.metadata.annotations).toEqual({ grafana_folder: 'Writeback' });
  });

  it('promtool accepts the rules', () => {
    const { ok, output } = promtoolCheckRules(rules);
    expect({ ok, output }).toEqual({ ok: true, output: expect.stringContaining('SUCCESS: 10 rules found') as unknown });
  });

  it('promtool refuses a broken rule (the check can fail)', () => {
    const broken = {
      groups: [{ name: 'broken', rules: [{ alert: 'Broken', expr: 'sum by (domain) (rate(up[5m])' }] }],
    };
    expect(promtoolCheckRules(broken)).toEqual({ ok: false, output: expect.stringContaining('FAILED') as unknown });
  });

  it('the rules and the dashboard name only metrics the services export', async () => {
    const exported = await exportedSeries();
    const exprs = [...ruleExprs(rules), ...dashboardExprs(dashboard)];
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    expect(new Set(exprs.flatMap(({ expr }) => metricNames(expr))).size).toBeGreaterThanOrEqual(10);
    expect(unexportedMetrics(exprs, exported)).toEqual([]);
  });

  it('finds the metrics an expression names, and a misspelt one', async () => {
    const expr =
      'histogram_quantile(0.95, sum by (le, stage) (rate(writeback_stage_duration_seconds_bucket{stage=~"a|b"}[5m]))) ' +
      '/ on (stage) group_left sum without (dc) (writeback_operation_total offset 1h) > bool 0 and up{job="x"}';
    expect(metricNames(expr)).toEqual(['up', 'writeback_operation_total', 'writeback_stage_duration_seconds_bucket']);
    expect(unexportedMetrics([{ where: 'panel X', expr }], await exportedSeries())).toEqual([
      'panel X: writeback_operation_total',
    ]);
  });

  it('docs/operations.md lists exactly the alerts the rules hold', () => {
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const table = operations.split('| alert | fires when | severity |')[1]?.split('\n\n')[0] ?? '';
    const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(documented).toEqual(alerts);
  });

  it('the dashboard has each panel docs/operations.md describes, with its PromQL', () => {
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const table = operations.split('| panel | PromQL |')[1]?.split('\n\n')[0] ?? '';
    const documented = [...table.matchAll(/^\| ([^|]+?) \| (.+) \|$/gm)]
      .filter((m) => !m[1]?.startsWith('---'))
      .map((m) => ({
        title: m[1] as string,
        exprs: [...(m[2] as string).matchAll(/`([^`]+)`/g)].map((e) => (e[1] as string).replace(/\\\|/g, '|')),
      }));
    expect(documented.length).toBeGreaterThanOrEqual(10);
    const panels = new Map(dashboard.panels.map((p) => [p.title, p.targets.map((t) => t.expr)]));
    for (const { title, exprs } of documented) {
      expect({ title, exprs: panels.get(title) }).toEqual({ title, exprs: expect.arrayContaining(exprs) as unknown });
    }
  });
});
