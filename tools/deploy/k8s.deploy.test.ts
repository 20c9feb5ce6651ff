import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as YAML from 'yaml';
import { generateK8sBase, K8S_BASE, K8S_CHART_VALUES, K8S_DIR } from './k8s-base';
import {
  executorEgressProblems,
  inlineSecrets,
  insecureWorkloads,
  invalidObjects,
  unknownEnvVars,
  unpinnedImages,
  unprotectedWorkloads,
} from './posture';
import { envNames, type K8sObject, podTemplates, renderChart, renderKustomize } from './render';

const OVERLAYS = join(K8S_DIR, 'overlays');
const overlays = readdirSync(OVERLAYS).sort();

/** `npm run k8s:generate` sets this to rewrite k8s/base before checking it. */
if (process.env['WRITEBACK_K8S_GENERATE'] === '1') {
  const files = generateK8sBase();
  mkdirSync(K8S_BASE, { recursive: true });
  for (const name of readdirSync(K8S_BASE)) if (!files.has(name)) rmSync(join(K8S_BASE, name));
  for (const [name, content] of files) writeFileSync(join(K8S_BASE, name), content);
}

/** What must agree between the chart and the plain manifests, per component. */
function essentials(objects: K8sObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { owner, spec } of podTemplates(objects)) {
    const c = spec.containers[0];
    if (!c) continue;
    out[`${owner.kind}/${owner.metadata.name}`] = {
      image: c.image.replace(/[:@][^/]+$/, ''),
      command: c.command,
      env: envNames(c, objects),
      ports: c.ports,
      probes: [c.startupProbe, c.livenessProbe, c.readinessProbe],
      podSecurityContext: spec.securityContext,
      securityContext: c.securityContext,
      volumes: spec.volumes,
      mounts: c.volumeMounts,
    };
  }
  return out;
}

describe('k8s (Kustomize)', () => {
  it('k8s/base is the chart rendered with k8s/chart-values.yaml (npm run k8s:generate)', () => {
    const expected = generateK8sBase();
    const committed = new Map(readdirSync(K8S_BASE).map((f) => [f, readFileSync(join(K8S_BASE, f), 'utf8')]));
    expect([...committed.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) expect({ name, content: committed.get(name) }).toEqual({ name, content });
  });

  it('has at least one overlay', () => {
    expect(overlays.length).toBeGreaterThanOrEqual(1);
    for (const overlay of overlays) expect(existsSync(join(OVERLAYS, overlay, 'kustomization.yaml'))).toBe(true);
  });

  describe.each(overlays)('overlay %s', (overlay) => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = renderKustomize(join(OVERLAYS, overlay));
    });

    it('renders only objects valid against the Kubernetes OpenAPI schemas', () => {
      expect(objects.length).toBeGreaterThan(10);
      expect(invalidObjects(objects)).toEqual([]);
    });

    it('pins every image, runs everything non-root on a read-only root filesystem, behind NetworkPolicies', () => {
      const dcCidrs = (
        YAML.parse(readFileSync(K8S_CHART_VALUES, 'utf8')) as {
          executors: { domains: { domain: string; dcCidrs: string[] }[] };
        }
      ).executors.domains;
      expect(unpinnedImages(objects)).toEqual([]);
      expect(insecureWorkloads(objects)).toEqual([]);
      expect(unprotectedWorkloads(objects)).toEqual([]);
      expect(executorEgressProblems(objects, Object.fromEntries(dcCidrs.map((d) => [d.domain, d.dcCidrs])))).toEqual(
        [],
      );
      expect(inlineSecrets(objects)).toEqual([]);
      expect(unknownEnvVars(objects)).toEqual([]);
    });

    it('agrees with the chart on images, commands, env names, probes, security contexts and mounts', () => {
      const chart = renderChart([K8S_CHART_VALUES]).manifests.map((m) => m.object);
      expect(essentials(objects)).toEqual(essentials(chart));
    });
  });
});
