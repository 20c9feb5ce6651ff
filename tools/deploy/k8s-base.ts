/**
 * k8s/base is the chart rendered with k8s/chart-values.yaml, minus what only Helm uses (its
 * labels, hook annotations, config checksums), one file per component. Generated, so the plain
 * manifests cannot drift from the chart: `npm run k8s:generate` rewrites them, and the deploy
 * tests fail when the committed files differ from a fresh generation.
 */
import { join } from 'node:path';
import * as YAML from 'yaml';
import { type K8sObject, renderChart, ROOT } from './render';

export const K8S_DIR = join(ROOT, 'k8s');
export const K8S_BASE = join(K8S_DIR, 'base');
export const K8S_CHART_VALUES = join(K8S_DIR, 'chart-values.yaml');

const HEADER =
  '# Generated from helm/writeback with k8s/chart-values.yaml by `npm run k8s:generate`.\n' +
  '# Edit the chart (or an overlay), not this file.\n';

function withoutHelm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutHelm);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'labels' && child && typeof child === 'object') {
      const labels = { ...(child as Record<string, string>) };
      delete labels['helm.sh/chart'];
      if (labels['app.kubernetes.io/managed-by']) labels['app.kubernetes.io/managed-by'] = 'kustomize';
      out[key] = labels;
    } else if (key === 'annotations' && child && typeof child === 'object') {
      const kept = Object.entries(child as Record<string, string>).filter(
        ([name]) => !name.startsWith('helm.sh/') && name !== 'checksum/config',
      );
      if (kept.length > 0) out[key] = Object.fromEntries(kept);
    } else {
      out[key] = withoutHelm(child);
    }
  }
  return out;
}

function fileFor(object: K8sObject): string {
  const labels = object.metadata.labels ?? {};
  const component = labels['app.kubernetes.io/component'] ?? 'common';
  const domain = labels['writeback.io/domain'];
  if (component === 'writeback-executor' && domain) return `executor-${domain}.yaml`;
  if (component === 'auth') return 'common.yaml';
  return `${component}.yaml`;
}

/** File name -> content of k8s/base, kustomization.yaml included. */
export function generateK8sBase(): Map<string, string> {
  const { manifests } = renderChart([K8S_CHART_VALUES]);
  const files = new Map<string, K8sObject[]>();
  for (const { object } of manifests) {
    const name = fileFor(object);
    files.set(name, [...(files.get(name) ?? []), withoutHelm(object) as K8sObject]);
  }
  const out = new Map<string, string>();
  const names = [...files.keys()].sort();
  for (const name of names) {
    const docs = (files.get(name) ?? []).map((o) => YAML.stringify(o, { lineWidth: 0, sortMapEntries: true }));
    out.set(name, HEADER + docs.join('---\n'));
  }
  out.set(
    'kustomization.yaml',
    HEADER + YAML.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names }),
  );
  return out;
}
