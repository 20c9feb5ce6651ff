import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Cluster, startCluster } from './cluster';
import { K8S_DIR } from './k8s-base';
import { moduleSource } from './go-tools';
import { CHART, type K8sObject, renderChart, renderKustomize } from './render';

const CI_DIR = join(CHART, 'ci');
const scenarios = readdirSync(CI_DIR)
  .filter((f) => /^values-.+\.yaml$/.test(f))
  .sort();
const OVERLAYS = join(K8S_DIR, 'overlays');
const overlays = readdirSync(OVERLAYS).sort();

/**
 * The Prometheus Operator's CRDs for the kinds the chart renders (ServiceMonitor, PrometheusRule),
 * as the operator's release that tools/prometheus-operator/go.mod pins ships them.
 */
function operatorCrds(): string[] {
  const source = moduleSource('prometheus-operator', 'github.com/prometheus-operator/prometheus-operator');
  return ['servicemonitors', 'prometheusrules'].map((kind) =>
    join(source, 'example', 'prometheus-operator-crd', `monitoring.coreos.com_${kind}.yaml`),
  );
}

describe('a Kubernetes API server (kube-apiserver 1.37.2 on etcd, loopback, with the Prometheus Operator CRDs)', () => {
  let cluster: Cluster | undefined;
  const server = (): Cluster => {
    if (!cluster) throw new Error('the API server did not start');
    return cluster;
  };
  beforeAll(async () => {
    cluster = await startCluster();
    const namespace = cluster.kubectl(['create', 'namespace', 'writeback']);
    if (!namespace.ok) throw new Error(`cannot create namespace writeback: ${namespace.output}`);
    cluster.installCrds(operatorCrds());
  }, 180_000);
  afterAll(() => cluster?.stop());

  it.each(scenarios)('accepts every object the chart renders with %s (kubectl apply --dry-run=server)', (scenario) => {
    const objects = renderChart([join(CI_DIR, scenario)], { apiVersions: ['monitoring.coreos.com/v1'] }).manifests.map(
      (m) => m.object,
    );
    const applied = objects;
    expect(applied.length).toBeGreaterThan(10);
    const { ok, output } = server().dryRunApply(applied);
    expect({ ok, refused: output.split('\n').filter((line) => !line.endsWith('(server dry run)')) }).toEqual({
      ok: true,
      refused: [],
    });
    expect(output.split('\n')).toHaveLength(applied.length);
  });

  it.each(overlays)('accepts every object of the Kustomize overlay %s', (overlay) => {
    const objects = renderKustomize(join(OVERLAYS, overlay));
    const { ok, output } = server().dryRunApply(objects);
    expect({ ok, refused: output.split('\n').filter((line) => !line.endsWith('(server dry run)')) }).toEqual({
      ok: true,
      refused: [],
    });
  });

  it('refuses a misspelt field and a value Kubernetes would reject (the check can fail)', () => {
    const objects = renderChart([join(CI_DIR, 'values-defaults-minimal.yaml')]).manifests.map((m) => m.object);
    const gate = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'writeback-policy-gate');
    const pod = (gate as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec
      .template.spec;
    (pod.containers[0] as Record<string, unknown>)['imagePullPolcy'] = 'Always';
    const misspelt = server().dryRunApply([gate as K8sObject]);
    expect(misspelt.ok).toBe(false);
    expect(misspelt.output).toContain('unknown field "spec.template.spec.containers[0].imagePullPolcy"');

    delete (pod.containers[0] as Record<string, unknown>)['imagePullPolcy'];
    (pod.containers[0] as Record<string, unknown>)['name'] = 'Policy_Gate';
    const invalid = server().dryRunApply([gate as K8sObject]);
    expect(invalid.ok).toBe(false);
    expect(invalid.output).toContain('spec.template.spec.containers[0].name: Invalid value: "Policy_Gate"');
  });

  it('judges the Operator kinds by their CRDs: a misspelt ServiceMonitor field is refused', () => {
    const objects = renderChart([join(CI_DIR, 'values-servicemonitor-hpa.yaml')], {
      apiVersions: ['monitoring.coreos.com/v1'],
    }).manifests.map((m) => m.object);
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as
      (K8sObject & { spec: Record<string, unknown> }) | undefined;
    if (!monitor) throw new Error('the scenario renders no ServiceMonitor');
    expect(server().dryRunApply([monitor]).ok).toBe(true);
    monitor.spec['jobLabl'] = 'app.kubernetes.io/name';
    const misspelt = server().dryRunApply([monitor]);
    expect(misspelt.ok).toBe(false);
    expect(misspelt.output).toContain('unknown field "spec.jobLabl"');
  });
});
