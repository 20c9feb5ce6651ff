import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as YAML from 'yaml';
import { executorTopic, TopicConfigs, Topics } from '@writeback/contracts';
import {
  documentedCommands,
  envVarsReadByCode,
  executorEgressProblems,
  inlineSecrets,
  insecureWorkloads,
  invalidObjects,
  missingEntryPoints,
  unknownEnvVars,
  unpinnedImages,
  unprotectedWorkloads,
} from './posture';
import {
  CHART,
  type Container,
  envNames,
  type K8sObject,
  podLabels,
  podTemplates,
  type Rendered,
  lintChart,
  RenderError,
  renderChart,
  renderNotes,
  ROOT,
  schemaProblems,
} from './render';

const CI_DIR = join(CHART, 'ci');
const scenarios = readdirSync(CI_DIR)
  .filter((f) => /^values-.+\.yaml$/.test(f))
  .sort();
const MINIMAL = join(CI_DIR, 'values-defaults-minimal.yaml');
const WITH_OPERATOR = { apiVersions: ['monitoring.coreos.com/v1'] };

interface DomainValues {
  domain: string;
  previousKeySecret?: { name: string; key: string };
  dcCidrs?: string[];
  bindPasswordSecret: { name: string };
}

function scenarioValues(file: string): { executors: { domains: DomainValues[] } } {
  return YAML.parse(readFileSync(join(CI_DIR, file), 'utf8')) as { executors: { domains: DomainValues[] } };
}

function objectsOf(rendered: Rendered): K8sObject[] {
  return rendered.manifests.map((m) => m.object);
}

/** A values file with these overrides, for the failure cases. */
function valuesFile(values: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'writeback-chart-')), 'values.yaml');
  writeFileSync(file, YAML.stringify(values));
  return file;
}

function objectsWith(values: unknown, scenario = MINIMAL): K8sObject[] {
  return objectsOf(renderChart([scenario, valuesFile(values)], WITH_OPERATOR));
}

function spec<T>(object: K8sObject | undefined): T {
  return (object as unknown as { spec: T }).spec;
}

function named(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

const hookWeight = (o: K8sObject): number => Number(o.metadata.annotations?.['helm.sh/hook-weight'] ?? 0);

function renderError(files: string[], options = WITH_OPERATOR): string {
  try {
    renderChart(files, options);
  } catch (error) {
    if (error instanceof RenderError) return error.message;
    throw error;
  }
  throw new Error('the chart rendered, but it should have refused these values');
}

describe('helm/writeback', () => {
  it('has a ci/values-*.yaml per scenario', () => {
    expect(scenarios).toEqual(
      expect.arrayContaining([
        'values-defaults-minimal.yaml',
        'values-multi-domain.yaml',
        'values-kafka-sasl-tls.yaml',
        'values-servicemonitor-hpa.yaml',
      ]),
    );
  });

  describe.each(scenarios)('rendered with %s', (scenario) => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = objectsOf(renderChart([join(CI_DIR, scenario)], WITH_OPERATOR));
    });

    it('passes helm lint --strict', () => {
      expect(lintChart([join(CI_DIR, scenario)])).toContain('1 chart(s) linted, 0 chart(s) failed');
    });

    it('renders only objects valid against the Kubernetes OpenAPI schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      expect(invalidObjects(objects)).toEqual([]);
    });

    it('pins every image (no `latest`)', () => {
      expect(unpinnedImages(objects)).toEqual([]);
    });

    it('runs every container non-root, without privilege escalation, on a read-only root filesystem', () => {
      expect(podTemplates(objects).length).toBeGreaterThanOrEqual(5);
      expect(insecureWorkloads(objects)).toEqual([]);
    });

    it('puts every workload behind a NetworkPolicy; executors reach only their own DCs', () => {
      const dcCidrs = Object.fromEntries(
        scenarioValues(scenario).executors.domains.map((d) => [d.domain, d.dcCidrs ?? []]),
      );
      expect(unprotectedWorkloads(objects)).toEqual([]);
      expect(executorEgressProblems(objects, dcCidrs)).toEqual([]);
    });

    it("creates each hook Job's NetworkPolicy as an earlier hook (under default-deny the Job has no network otherwise)", () => {
      const jobs = objects.filter((o) => o.kind === 'Job');
      expect(jobs.length).toBeGreaterThanOrEqual(1);
      for (const job of jobs) {
        const labels = podLabels(job);
        const policies = objects.filter(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            Object.entries(
              spec<{ podSelector: { matchLabels: Record<string, string> } }>(o).podSelector.matchLabels,
            ).every(([key, value]) => labels[key] === value),
        );
        expect(policies.map((p) => p.metadata.name)).toHaveLength(1);
        for (const policy of policies) {
          expect({ job: job.metadata.name, annotations: policy.metadata.annotations }).toEqual({
            job: job.metadata.name,
            annotations: {
              'helm.sh/hook': job.metadata.annotations?.['helm.sh/hook'],
              'helm.sh/hook-weight': expect.any(String) as unknown,
              'helm.sh/hook-delete-policy': 'before-hook-creation',
            },
          });
          expect(hookWeight(policy)).toBeLessThan(hookWeight(job));
        }
      }
    });

    it('holds no secret value: Secrets are only referenced', () => {
      expect(inlineSecrets(objects)).toEqual([]);
    });

    it('sets only environment variables the code reads', () => {
      expect(unknownEnvVars(objects)).toEqual([]);
    });

    it('deploys one executor per domain, reading only that domain and holding only its key', () => {
      const domains = scenarioValues(scenario).executors.domains;
      const executors = podTemplates(objects).filter(
        ({ owner }) => owner.metadata.labels?.['app.kubernetes.io/component'] === 'writeback-executor',
      );
      expect(executors.map(({ owner }) => owner.metadata.labels?.['writeback.io/domain']).sort()).toEqual(
        domains.map((d) => d.domain).sort(),
      );
      for (const { owner, spec } of executors) {
        const domain = owner.metadata.labels?.['writeback.io/domain'] as string;
        const env = spec.containers[0]?.env ?? [];
        expect(env.find((e) => e.name === 'WRITEBACK_EXECUTOR_DOMAINS')?.value).toBe(domain);
        const keyVolume = spec.volumes?.find((v) => v.name === 'domain-key') as
          { projected: { sources: { secret: { items: { path: string }[] } }[] } } | undefined;
        const rotating = domains.find((d) => d.domain === domain)?.previousKeySecret !== undefined;
        // Only this domain's keys: its own, and the one being rotated out during a rotation.
        expect(keyVolume?.projected.sources.flatMap((s) => s.secret.items.map((i) => i.path))).toEqual(
          rotating ? [`${domain}.key`, `${domain}.previous.key`] : [`${domain}.key`],
        );
        // Whole-Secret mounts: a subPath mount would never see a rotated key.
        expect(spec.containers[0]?.volumeMounts?.filter((m) => m.subPath)).toEqual([]);
      }
    });
  });

  it('starts each component with the command the README documents', () => {
    const documented = documentedCommands();
    expect([...documented.keys()].sort()).toEqual(
      ['audit-service', 'config-service', 'migration', 'policy-gate', 'writeback-executor'].sort(),
    );
    expect(missingEntryPoints(documented)).toEqual([]);
    expect(missingEntryPoints(new Map([['typo', ['node', 'apps/policy-gate/dist/mian.js']]]))).toEqual([
      'apps/policy-gate/dist/mian.js: apps/policy-gate/src/mian.ts is not compiled (missing, or excluded)',
    ]);
    expect(missingEntryPoints(new Map([['e2e', ['node', 'apps/system-e2e/dist/main.js']]]))).toContain(
      'apps/system-e2e/dist/main.js: tsconfig.build.json does not build apps/system-e2e',
    );
    const objects = objectsOf(renderChart([join(CI_DIR, 'values-multi-domain.yaml')], WITH_OPERATOR));
    const writebackPods = podTemplates(objects).filter(({ spec }) => spec.containers[0]?.image.includes('/writeback'));
    expect(writebackPods.length).toBeGreaterThanOrEqual(6);
    for (const { owner, spec } of writebackPods) {
      const component = owner.metadata.labels?.['app.kubernetes.io/component'] as string;
      expect({ component, command: spec.containers[0]?.command }).toEqual({
        component,
        command: documented.get(component),
      });
    }
  });

  it('mounts the SCIM clients Secret whole into the gate only, and points WRITEBACK_SCIM_CLIENTS_FILE at it', () => {
    const pods = podTemplates(objectsWith({ policyGate: { scim: { existingSecret: 'writeback-scim-clients' } } }));
    const holding = pods.filter(({ spec }) => spec.volumes?.some((v) => v.name === 'scim-clients'));
    expect(holding.map(({ owner }) => owner.metadata.labels?.['app.kubernetes.io/component'])).toEqual(['policy-gate']);
    const gate = holding[0]?.spec;
    expect(gate?.volumes?.find((v) => v.name === 'scim-clients')).toEqual({
      name: 'scim-clients',
      secret: {
        secretName: 'writeback-scim-clients',
        defaultMode: 0o440,
        items: [{ key: 'clients.json', path: 'clients.json' }],
      },
    });
    // No subPath: a subPath mount would never see a client added or removed.
    expect(gate?.containers[0]?.volumeMounts?.find((m) => m.name === 'scim-clients')).toEqual({
      name: 'scim-clients',
      mountPath: '/etc/writeback/scim-clients',
      readOnly: true,
    });
    expect(gate?.containers[0]?.env?.find((e) => e.name === 'WRITEBACK_SCIM_CLIENTS_FILE')?.value).toBe(
      '/etc/writeback/scim-clients/clients.json',
    );
    // Unset: no mount, and the gate accepts JWTs only.
    const without = podTemplates(objectsWith({})).flatMap(({ spec }) => spec.volumes ?? []);
    expect(without.filter((v) => v.name === 'scim-clients')).toEqual([]);
  });

  it("gives the gate its SCIM waits (policyGate.scim.waitSeconds, lookupTimeoutMs) and refuses them out of the gate's ranges", () => {
    const objects = objectsWith({ policyGate: { scim: { waitSeconds: 30, lookupTimeoutMs: 800 } } });
    const gate = podTemplates([named(objects, 'Deployment', 'writeback-policy-gate') as K8sObject])[0]?.spec;
    const common = named(objects, 'ConfigMap', 'writeback-common') as K8sObject & { data: Record<string, string> };
    expect(envNames(gate?.containers[0] as Container, objects)).toEqual(
      expect.arrayContaining(['WRITEBACK_SCIM_WAIT_SECONDS', 'WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS']),
    );
    expect(common.data).toMatchObject({ WRITEBACK_SCIM_WAIT_SECONDS: '30', WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: '800' });
    // The ranges of GateSettings (libs/platform/src/settings.ts): the gate would not start otherwise.
    for (const [scim, pointer] of [
      [{ waitSeconds: 31 }, '/policyGate/scim/waitSeconds'],
      [{ waitSeconds: 0 }, '/policyGate/scim/waitSeconds'],
      [{ lookupTimeoutMs: 99 }, '/policyGate/scim/lookupTimeoutMs'],
      [{ lookupTimeoutMs: 30001 }, '/policyGate/scim/lookupTimeoutMs'],
    ] as const) {
      expect(renderError([MINIMAL, valuesFile({ policyGate: { scim } })])).toContain(`at '${pointer}'`);
    }
  });

  it('runs the migration Job before install and upgrade, with the URL from the database Secret', () => {
    const job = objectsOf(renderChart([MINIMAL])).find((o) => o.kind === 'Job') as K8sObject;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const container = podTemplates([job])[0]?.spec.containers[0];
    expect(container?.env).toEqual([
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'writeback-database', key: 'url' } } },
    ]);
  });

  it('creates exactly the topics libs/contracts names, when asked to', () => {
    const objects = objectsOf(renderChart([join(CI_DIR, 'values-multi-domain.yaml')]));
    const job = objects.find(
      (o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'kafka-topics',
    );
    const topics = podTemplates([job as K8sObject])[0]?.spec.containers[0]?.env?.find((e) => e.name === 'TOPICS');
    expect(topics?.value?.split(' ').sort()).toEqual(
      [...Object.values(Topics), executorTopic('corp'), executorTopic('fabrikam')].sort(),
    );
  });

  it("creates each topic with the shared configs, and the lookups topic with its own over them (libs/contracts' TopicConfigs)", () => {
    const objects = objectsOf(
      renderChart([
        join(CI_DIR, 'values-multi-domain.yaml'),
        valuesFile({ kafka: { topics: { extraConfig: { 'min.insync.replicas': 2, 'retention.ms': 604800000 } } } }),
      ]),
    );
    const job = objects.find(
      (o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'kafka-topics',
    );
    const container = podTemplates([job as K8sObject])[0]?.spec.containers[0];
    // The Job's own script, with kafka-topics.sh replaced by an echo of its arguments.
    const dir = mkdtempSync(join(tmpdir(), 'writeback-topics-'));
    const script = (container?.command?.[2] ?? '')
      .replaceAll('/opt/kafka/bin/kafka-topics.sh', 'kafka_topics')
      .replaceAll('/tmp/', `${dir}/`);
    const env = Object.fromEntries(
      (container?.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
    );
    const out = execFileSync('bash', ['-ec', `kafka_topics() { echo "$*"; }\n${script}`], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], ...env },
    });
    const created: Record<string, Record<string, string>> = Object.fromEntries(
      out
        .split('\n')
        .filter((line) => line.includes('--create'))
        .map((line): [string, Record<string, string>] => [
          /--topic (\S+)/.exec(line)?.[1] ?? '',
          Object.fromEntries(
            [...line.matchAll(/--config ([^=\s]+)=(\S+)/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']),
          ),
        ]),
    );
    const shared = { 'min.insync.replicas': '2', 'retention.ms': '604800000' };
    const names = [...Object.values(Topics), executorTopic('corp'), executorTopic('fabrikam')];
    expect(Object.keys(created).sort()).toEqual(names.sort());
    for (const name of names)
      expect({ name, config: created[name] }).toEqual({ name, config: { ...shared, ...TopicConfigs[name] } });
    expect(created[Topics.lookups]).toEqual({
      'min.insync.replicas': '2',
      'retention.ms': '3600000',
      'segment.ms': '600000',
    });
  });

  it("quotes SASL credentials in the topic Job's JAAS line (JAAS escapes, then .properties escapes)", () => {
    const objects = objectsOf(renderChart([join(CI_DIR, 'values-kafka-sasl-tls.yaml')]));
    const job = objects.find(
      (o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'kafka-topics',
    );
    const script = podTemplates([job as K8sObject])[0]?.spec.containers[0]?.command?.[2] ?? '';
    const quote = /^\s*(jaas_quote\(\) \{.*\})$/m.exec(script)?.[1] ?? '';
    expect(quote).not.toBe('');
    const quoted = (value: string): string =>
      execFileSync('bash', ['-c', `${quote}; jaas_quote "$1"`, 'bash', value], { encoding: 'utf8' });
    // Checked with java.util.Properties.load, then Kafka's JAAS tokenizer: both give the password back.
    expect(quoted('p"a\\ss&w$x=y #z')).toBe('"p\\\\"a\\\\\\\\ss&w$x=y #z"');
    expect(quoted('plain')).toBe('"plain"');
  });

  it("tells the operator each domain's bindSecretRef, at the path its executor mounts", () => {
    const values = [join(CI_DIR, 'values-multi-domain.yaml')];
    const notes = renderNotes(values);
    const rendered = renderChart(values);
    for (const domain of ['corp', 'fabrikam']) {
      expect(notes).toContain(`"bindSecretRef": "file:/etc/writeback/bind/${domain}/password"`);
      const executor = podTemplates(objectsOf(rendered)).find(
        ({ owner }) => owner.metadata.labels?.['writeback.io/domain'] === domain,
      );
      expect(executor?.spec.containers[0]?.volumeMounts).toContainEqual(
        expect.objectContaining({ name: 'bind-password', mountPath: `/etc/writeback/bind/${domain}` }),
      );
    }
  });

  it('keeps a domain at 0 replicas (a paused domain); a domain without replicaCount gets the default', () => {
    const base = scenarioValues('values-defaults-minimal.yaml').executors.domains[0] as DomainValues;
    const objects = objectsWith({
      executors: {
        replicaCount: 3,
        domains: [
          { ...base, replicaCount: 0 },
          { ...base, domain: 'fabrikam', dcCidrs: ['10.30.0.10/32'] },
        ],
      },
    });
    expect(spec<{ replicas: number }>(named(objects, 'Deployment', 'writeback-executor-corp')).replicas).toBe(0);
    expect(spec<{ replicas: number }>(named(objects, 'Deployment', 'writeback-executor-fabrikam')).replicas).toBe(3);
  });

  it('sets the grace period from terminationGracePeriodSeconds', () => {
    const objects = objectsWith({ terminationGracePeriodSeconds: 45, shutdownDrainMs: 40000 });
    const deployments = podTemplates(objects).filter(({ owner }) => owner.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThanOrEqual(4);
    for (const { spec: pod } of deployments) {
      expect((pod as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds).toBe(45);
    }
  });

  it('budgets disruptions with maxUnavailable by default, so a single replica can still be drained', () => {
    const objects = objectsWith({ policyGate: { replicaCount: 1 }, executors: { replicaCount: 1 } });
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(budgets.length).toBe(4);
    for (const budget of budgets) expect(spec<Record<string, unknown>>(budget)).toMatchObject({ maxUnavailable: 1 });
    expect(spec<Record<string, unknown>>(budgets[0])).not.toHaveProperty('minAvailable');
    const min = objectsWith({ policyGate: { pdb: { minAvailable: 1 } } });
    expect(spec<Record<string, unknown>>(named(min, 'PodDisruptionBudget', 'writeback-policy-gate'))).toEqual(
      expect.objectContaining({ minAvailable: 1 }),
    );
    expect(
      spec<Record<string, unknown>>(named(min, 'PodDisruptionBudget', 'writeback-policy-gate')),
    ).not.toHaveProperty('maxUnavailable');
  });

  it('scrapes every Service as job="writeback", the job the chart\'s alerts select', () => {
    const objects = objectsOf(renderChart([join(CI_DIR, 'values-servicemonitor-hpa.yaml')], WITH_OPERATOR));
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as K8sObject;
    const { jobLabel, selector } = spec<{ jobLabel?: string; selector: { matchLabels: Record<string, string> } }>(
      monitor,
    );
    const services = objects.filter(
      (o) =>
        o.kind === 'Service' &&
        Object.entries(selector.matchLabels).every(([key, value]) => o.metadata.labels?.[key] === value),
    );
    expect(services.length).toBeGreaterThanOrEqual(4);
    expect(jobLabel).toBeDefined();
    const jobs = new Set(services.map((service) => service.metadata.labels?.[jobLabel as string]));
    const rules = readFileSync(join(CHART, 'files', 'prometheus-rules.yaml'), 'utf8');
    const alertJobs = new Set([...rules.matchAll(/\bjob="([^"]+)"/g)].map((m) => m[1]));
    expect(alertJobs.size).toBeGreaterThanOrEqual(1);
    expect([...jobs]).toEqual([...alertJobs]);
  });

  describe('refuses', () => {
    it('to render without the required values, naming them', () => {
      expect(renderError([])).toContain('database.existingSecret is required');
      const noDomains = valuesFile({ executors: { domains: [] } });
      expect(renderError([MINIMAL, noDomains])).toContain('executors.domains is required');
      const noBrokers = valuesFile({ kafka: { brokers: [] } });
      expect(renderError([MINIMAL, noBrokers])).toContain('kafka.brokers is required');
    });

    it('a domain without its key Secret or its DC addresses', () => {
      const base = scenarioValues('values-defaults-minimal.yaml').executors.domains[0] as DomainValues;
      const { bindPasswordSecret } = base;
      const noKey = valuesFile({
        executors: { domains: [{ domain: 'corp', bindPasswordSecret, dcCidrs: ['10.0.0.1/32'] }] },
      });
      expect(renderError([MINIMAL, noKey])).toContain('keySecret');
      const noCidrs = valuesFile({ executors: { domains: [{ ...base, dcCidrs: [] }] } });
      expect(renderError([MINIMAL, noCidrs])).toContain('executors.domains[corp].dcCidrs is required');
    });

    it('an image tag `latest`, for the services and for the topic Job', () => {
      // values.schema.json refuses it before the templates' own check; Helm names the value by its JSON pointer.
      expect(renderError([MINIMAL, valuesFile({ image: { tag: 'latest' } })])).toContain("at '/image/tag'");
      const topics = valuesFile({ kafka: { topics: { create: true, image: { tag: 'latest' } } } });
      expect(renderError([MINIMAL, topics])).toContain("at '/kafka/topics/image/tag'");
    });

    it('SASL without its Secret, and authentication without an issuer', () => {
      const sasl = valuesFile({ kafka: { sasl: { mechanism: 'scram-sha-512' } } });
      expect(renderError([MINIMAL, sasl])).toContain('kafka.sasl.existingSecret is required');
      const auth = valuesFile({ auth: { issuer: '' } });
      expect(renderError([MINIMAL, auth])).toContain('auth.issuer is required');
    });

    it('half a mutual-TLS client identity (a certificate without its key, or the reverse)', () => {
      const tls = { enabled: true, existingSecret: 'writeback-kafka-tls' };
      for (const half of [{ certKey: 'tls.crt' }, { keyKey: 'tls.key' }]) {
        const values = valuesFile({ kafka: { tls: { ...tls, ...half } } });
        expect(renderError([MINIMAL, values])).toContain('kafka.tls.certKey and kafka.tls.keyKey go together');
      }
      const noSecret = valuesFile({ kafka: { tls: { enabled: true, certKey: 'tls.crt', keyKey: 'tls.key' } } });
      expect(renderError([MINIMAL, noSecret])).toContain('need kafka.tls.enabled and kafka.tls.existingSecret');
    });

    it('a shutdown drain not shorter than the grace period', () => {
      const drain = valuesFile({ shutdownDrainMs: 30000, terminationGracePeriodSeconds: 30 });
      expect(renderError([MINIMAL, drain])).toContain('shutdownDrainMs (30000) must be shorter than');
    });

    it('a PodDisruptionBudget that would block every node drain', () => {
      const single = valuesFile({ configService: { replicaCount: 1, pdb: { minAvailable: 1 } } });
      expect(renderError([MINIMAL, single])).toContain(
        'writeback-config-service: pdb.minAvailable 1 with 1 replicas would block every node drain',
      );
      const autoscaled = valuesFile({
        executors: { autoscaling: { enabled: true, minReplicas: 2 }, pdb: { minAvailable: 2 } },
      });
      expect(renderError([MINIMAL, autoscaled])).toContain(
        'writeback-executor-corp: pdb.minAvailable 2 with 2 replicas',
      );
      const none = valuesFile({ auditService: { pdb: { maxUnavailable: 0 } } });
      expect(renderError([MINIMAL, none])).toContain("at '/auditService/pdb/maxUnavailable'");
    });

    it('a ServiceMonitor on a cluster without the Prometheus Operator', () => {
      const monitor = valuesFile({ metrics: { serviceMonitor: { enabled: true } } });
      expect(renderError([MINIMAL, monitor], {} as typeof WITH_OPERATOR)).toContain('Prometheus Operator');
    });

    it('values the schema does not know (a misspelt key is not silently ignored)', () => {
      expect(renderError([MINIMAL, valuesFile({ policyGate: { replicas: 3 } })])).toContain(
        "at '/policyGate': additional properties 'replicas' not allowed",
      );
    });
  });

  describe('posture checks fail on a weakened chart', () => {
    // values.schema.json pins these contexts, so the weakening is done on the rendered objects.
    const weakened = (
      change: (pod: Record<string, unknown>, container: Record<string, unknown>) => void,
    ): K8sObject[] => {
      const objects = objectsWith({});
      for (const { spec: pod } of podTemplates(objects)) {
        for (const c of pod.containers) change((pod.securityContext ??= {}), (c.securityContext ??= {}));
      }
      return objects;
    };

    it('a writable root filesystem (values.schema.json refuses the value)', () => {
      const values = { containerSecurityContext: { readOnlyRootFilesystem: false } };
      expect(renderError([MINIMAL, valuesFile(values)])).toContain(
        "at '/containerSecurityContext/readOnlyRootFilesystem': value must be true",
      );
      const problems = insecureWorkloads(weakened((_, c) => (c['readOnlyRootFilesystem'] = false)));
      expect(problems).toContain('Deployment/writeback-policy-gate container policy-gate: root filesystem is writable');
      expect(problems).toContain('Job/writeback-migrate container migrate: root filesystem is writable');
    });

    it('root allowed, and privilege escalation allowed (values.schema.json refuses both)', () => {
      const values = { containerSecurityContext: { runAsNonRoot: false, allowPrivilegeEscalation: true } };
      const refused = renderError([MINIMAL, valuesFile(values)]);
      expect(refused).toContain("at '/containerSecurityContext/runAsNonRoot': value must be true");
      expect(refused).toContain("at '/containerSecurityContext/allowPrivilegeEscalation': value must be false");
      const problems = insecureWorkloads(
        weakened((pod, c) => {
          pod['runAsNonRoot'] = false;
          pod['runAsUser'] = 0;
          delete c['runAsNonRoot'];
          c['allowPrivilegeEscalation'] = true;
        }),
      );
      for (const problem of ['runAsNonRoot is not true', 'runs as uid 0', 'allows privilege escalation']) {
        expect(problems).toContain(`Deployment/writeback-executor-corp container writeback-executor: ${problem}`);
      }
    });

    it('no NetworkPolicies', () => {
      const objects = objectsWith({ networkPolicy: { enabled: false } });
      const problems = unprotectedWorkloads(objects);
      expect(problems).toHaveLength(podTemplates(objects).length);
      expect(problems).toContain(
        'Deployment/writeback-executor-corp: no NetworkPolicy restricts both its ingress and egress',
      );
    });

    it('a secret given inline through extraEnv, and a variable no code reads', () => {
      const objects = objectsWith({
        policyGate: {
          extraEnv: [
            { name: 'WRITEBACK_DATABASE_URL', value: 'postgresql://writeback:hunter2@db:5432/writeback' },
            { name: 'WRITEBACK_DATABSE_POOL_SIZE', value: '5' },
          ],
        },
      });
      expect(inlineSecrets(objects)).toEqual([
        'Deployment/writeback-policy-gate container policy-gate: WRITEBACK_DATABASE_URL is not a secretKeyRef',
        'Deployment/writeback-policy-gate container policy-gate: WRITEBACK_DATABASE_URL holds a credential',
      ]);
      expect(unknownEnvVars(objects)).toEqual([
        'Deployment/writeback-policy-gate container policy-gate: WRITEBACK_DATABSE_POOL_SIZE is read by no code',
      ]);
    });

    it('counts a variable named only in a comment as read by no code', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'writeback-env-')), 'config.ts');
      writeFileSync(
        file,
        [
          '// WRITEBACK_IN_LINE_COMMENT is gone',
          '/** WRITEBACK_IN_DOC_COMMENT too */',
          "const url = 'http://x'; // WRITEBACK_AFTER_CODE",
          "export const read = [process.env['WRITEBACK_READ'], `${url}WRITEBACK_IN_TEMPLATE`];",
        ].join('\n'),
      );
      const names = [...envVarsReadByCode([file])].filter((n) => !n.endsWith('_PORT'));
      expect(names.sort()).toEqual(['WRITEBACK_IN_TEMPLATE', 'WRITEBACK_READ']);
    });
  });

  it('the validation refuses a misspelt field, as the API server does under strict field validation', () => {
    const objects = objectsWith({ metrics: { serviceMonitor: { enabled: true } } });
    const gate = named(objects, 'Deployment', 'writeback-policy-gate') as K8sObject;
    (podTemplates([gate])[0]?.spec.containers[0] as unknown as Record<string, unknown>)['imagePullPolcy'] = 'Always';
    const monitor = named(objects, 'ServiceMonitor', 'writeback') as K8sObject;
    (spec<{ endpoints: Record<string, unknown>[] }>(monitor).endpoints[0] as Record<string, unknown>)['intervall'] =
      '10s';
    // The OpenAPI schemas alone let both through.
    expect([...schemaProblems(gate), ...schemaProblems(monitor)]).toEqual([]);
    expect(invalidObjects(objects)).toEqual([
      expect.stringMatching(
        /^Deployment\/writeback-policy-gate: .*unknown field "spec.template.spec.containers\[0\].imagePullPolcy"/,
      ),
      expect.stringMatching(/^ServiceMonitor\/writeback: .*unknown field "spec.endpoints\[0\].intervall"/),
    ]);
  });

  it('the validation catches an object Kubernetes would reject', () => {
    const objects = objectsOf(renderChart([MINIMAL, valuesFile({ podSecurityContext: { runAsUser: 'nobody' } })]));
    expect(invalidObjects(objects).join('\n')).toContain('runAsUser must be integer');
  });

  it('documents every value in place (## @param), and documents no value that does not exist', () => {
    const text = readFileSync(join(CHART, 'values.yaml'), 'utf8');
    const documented = new Set([...text.matchAll(/^\s*## @param ([\w.]+)/gm)].map((m) => m[1] as string));
    const leaves: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
        for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
      } else leaves.push(path);
    };
    walk(YAML.parse(text), '');
    const covered = (leaf: string): boolean =>
      leaf.split('.').some((_, i, parts) => documented.has(parts.slice(0, i + 1).join('.')));
    expect(leaves.filter((leaf) => !covered(leaf))).toEqual([]);
    const paths = new Set(leaves.flatMap((leaf) => leaf.split('.').map((_, i, p) => p.slice(0, i + 1).join('.'))));
    expect([...documented].filter((param) => !paths.has(param))).toEqual([]);
  });

  it('keeps the Dockerfile in step with the documented commands', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    for (const argv of documentedCommands().values()) expect(dockerfile).toContain(argv.join(' '));
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).not.toMatch(/:latest\b/);
    // Dependencies are installed from the manifests alone, before the sources arrive.
    const build = dockerfile.split(/^FROM .* AS build$/m)[1] ?? '';
    expect(build.indexOf('npm ci')).toBeGreaterThan(-1);
    expect(build.indexOf('npm ci')).toBeLessThan(build.indexOf('COPY . .'));
  });
});
