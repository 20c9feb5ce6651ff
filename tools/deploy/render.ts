/**
 * Renders the Helm chart and the Kustomize overlays without Helm or a cluster, and validates
 * what comes out against the Kubernetes OpenAPI schemas (docs/adr/0007).
 *
 * - Chart: tools/helm-render (Go text/template + Debian's Sprig, Helm's own functions, the
 *   chart's values.schema.json), built once per change of its source.
 * - Kustomize: `kubectl kustomize`, whichever kubectl the machine has (Debian's 1.20 embeds
 *   kustomize 2.0.3, so the overlays use only what that version understands).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as YAML from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'helm', 'writeback');
const RENDERER_SOURCE = join(ROOT, 'tools', 'helm-render', 'main.go');

/** Any Kubernetes object, as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendered {
  manifests: { template: string; object: K8sObject }[];
  notes: string;
}

export class RenderError extends Error {}

let rendererPath: string | undefined;

/** Builds tools/helm-render with Debian's Go and Go libraries (GOPATH mode, offline). */
export function helmRenderer(): string {
  if (rendererPath) return rendererPath;
  const source = readFileSync(RENDERER_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(ROOT, 'node_modules', '.cache', 'writeback-helm-render');
  const binary = join(dir, `helm-render-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const go = spawnSync('go', ['build', '-o', binary, './tools/helm-render'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: '/usr/share/gocode',
        GOCACHE: join(dir, 'go-build'),
        GOFLAGS: '',
        CGO_ENABLED: '0',
      },
    });
    if (go.error || go.status !== 0) {
      throw new Error(
        `cannot build tools/helm-render (needs golang-go, golang-github-masterminds-sprig-dev, ` +
          `golang-k8s-sigs-yaml-dev, golang-github-xeipuuv-gojsonschema-dev: tools/harness/ensure-system-deps.sh): ` +
          `${go.error?.message ?? go.stderr}`,
      );
    }
  }
  rendererPath = binary;
  return binary;
}

export interface RenderOptions {
  releaseName?: string;
  namespace?: string;
  apiVersions?: string[];
}

/** `helm template` of the chart with these values files (later files win). Throws RenderError with Helm's message. */
export function renderChart(valuesFiles: string[], options: RenderOptions = {}): Rendered {
  const args = ['--chart', CHART, '--name', options.releaseName ?? 'writeback'];
  args.push('--namespace', options.namespace ?? 'writeback');
  if (options.apiVersions?.length) args.push('--api-versions', options.apiVersions.join(','));
  for (const file of valuesFiles) args.push('--values', file);
  const run = spawnSync(helmRenderer(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new RenderError(run.stderr.trim());
  return JSON.parse(run.stdout) as Rendered;
}

/** `kubectl kustomize DIR`, parsed. */
export function renderKustomize(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl is missing: run tools/harness/ensure-system-deps.sh (Debian kubernetes-client)');
    }
    throw new RenderError(e.stderr || e.message);
  }
  return parseYamlStream(out);
}

export function parseYamlStream(text: string): K8sObject[] {
  return YAML.parseAllDocuments(text)
    .map((doc) => doc.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** Every kind the chart or the manifests may produce; an unknown kind fails validation. */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': core.ConfigMap,
  'v1/Service': core.Service,
  'v1/ServiceAccount': core.ServiceAccount,
  'v1/Secret': core.Secret,
  'apps/v1/Deployment': apps.Deployment,
  'batch/v1/Job': batch.Job,
  'policy/v1/PodDisruptionBudget': policy.PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscaling.HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': networking.NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': monitoring.ServiceMonitor,
};

/** Validates one object against its Kubernetes OpenAPI schema; returns the problems (none: valid). */
export function schemaProblems(object: K8sObject): string[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${object.apiVersion}/${object.kind} is not a kind this project validates`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** Containers of a pod-bearing object (Deployment, Job), with the pod spec. */
export interface PodTemplate {
  owner: K8sObject;
  spec: PodSpec;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

export interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
  automountServiceAccountToken?: boolean;
}

export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({ owner: o, spec: (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec }));
}

/** The pod's labels (to match NetworkPolicy selectors). */
export function podLabels(owner: K8sObject): Record<string, string> {
  return (owner as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template
    .metadata.labels;
}

/** Env var names a container gets: its env, plus the keys of the ConfigMaps it takes whole. */
export function envNames(container: Container, objects: K8sObject[]): string[] {
  const names = new Set((container.env ?? []).map((e) => e.name));
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const map: (K8sObject & { data?: Record<string, string> }) | undefined = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === name,
    );
    if (!map) throw new Error(`${container.name}: envFrom names ConfigMap ${String(name)}, which is not rendered`);
    for (const key of Object.keys(map.data ?? {})) names.add(key);
  }
  return [...names].sort();
}

/** Every image reference in the objects. */
export function images(objects: K8sObject[]): string[] {
  return podTemplates(objects).flatMap(({ spec }) =>
    [...spec.containers, ...(spec.initContainers ?? [])].map((c) => c.image),
  );
}
