/**
 * Renders the Helm chart with Helm itself and the Kustomize overlays with kustomize (both built
 * by go-tools.ts at pinned versions), and validates what comes out against the Kubernetes
 * OpenAPI schemas and by strict decoding (tools/kube-check); apiserver.deploy.test.ts also
 * puts it before a real API server (docs/adr/0007).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as YAML from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ensureTool, HELM, KUBE_CHECK, KUSTOMIZE } from './go-tools';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'helm', 'writeback');

/** Any Kubernetes object, as rendered. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendered {
  manifests: { template: string; object: K8sObject }[];
}

/** Helm or kustomize refused: the message is the tool's own. */
export class RenderError extends Error {}

export interface RenderOptions {
  releaseName?: string;
  namespace?: string;
  /** Extra API versions the cluster is said to serve (`--api-versions`). */
  apiVersions?: string[];
}

function run(tool: string, args: string[], input?: string): string {
  const result = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, cwd: ROOT, input });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new RenderError(result.stderr.trim() || result.stdout.trim());
  return result.stdout;
}

function helmArgs(valuesFiles: string[], options: RenderOptions): string[] {
  const args = [options.releaseName ?? 'writeback', CHART, '--namespace', options.namespace ?? 'writeback'];
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  for (const file of valuesFiles) args.push('--values', file);
  return args;
}

/** Runs the Helm CLI the deploy tests build (tools/helm); throws RenderError with Helm's message. */
export function helm(args: string[]): string {
  return run(ensureTool(HELM), args);
}

/** `helm template` of the chart with these values files (later files win), hooks included. */
export function renderChart(valuesFiles: string[], options: RenderOptions = {}): Rendered {
  const out = helm(['template', ...helmArgs(valuesFiles, options)]);
  const manifests = parseYamlDocuments(out).flatMap((doc) => {
    const object = doc.toJSON() as K8sObject | null;
    if (object === null) return [];
    // Helm heads each document with "# Source: <chart>/templates/<file>".
    const template = /Source: (\S+)/.exec(doc.commentBefore ?? '')?.[1] ?? '';
    return [{ template, object }];
  });
  return { manifests };
}

/** The release notes (NOTES.txt) Helm prints after an install, rendered without a cluster. */
export function renderNotes(valuesFiles: string[], options: RenderOptions = {}): string {
  const out = helm(['install', ...helmArgs(valuesFiles, options), '--dry-run=client', '--output', 'json']);
  return (JSON.parse(out) as { info: { notes?: string } }).info.notes ?? '';
}

/** `helm lint --strict` of the chart with these values files: Helm's output, or RenderError. */
export function lintChart(valuesFiles: string[], options: RenderOptions = {}): string {
  const args = ['lint', '--strict', CHART, '--namespace', options.namespace ?? 'writeback'];
  for (const file of valuesFiles) args.push('--values', file);
  return helm(args);
}

/** `kustomize build DIR`, parsed. */
export function renderKustomize(dir: string): K8sObject[] {
  return parseYamlStream(run(ensureTool(KUSTOMIZE), ['build', dir]));
}

/**
 * YAML as Kubernetes reads it: YAML 1.1, so `defaultMode: 0440` is octal (288), as kubectl and
 * the API server take it, not the decimal 440 of YAML 1.2.
 */
function parseYamlDocuments(text: string): YAML.Document[] {
  return YAML.parseAllDocuments(text, { version: '1.1' });
}

export function parseYamlStream(text: string): K8sObject[] {
  return parseYamlDocuments(text)
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
  'monitoring.coreos.com/v1/PrometheusRule': monitoring.PrometheusRule,
};

/**
 * What the API server's strict field validation refuses, per object: unknown or duplicate fields
 * and values of the wrong type, found by decoding into the Go types it serves (tools/kube-check).
 * The OpenAPI schemas below allow unknown fields, so a misspelt field passes them.
 */
export function strictDecodeProblems(objects: K8sObject[]): string[][] {
  const out = run(ensureTool(KUBE_CHECK), [], JSON.stringify(objects));
  return (JSON.parse(out) as { problems: string[] }[]).map((r) => r.problems);
}

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
