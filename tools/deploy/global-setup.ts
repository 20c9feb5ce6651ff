import { ensureTool, HELM, KUBE_APISERVER, KUBE_CHECK, KUBECTL, KUSTOMIZE } from './go-tools';

/**
 * Builds the tools once, before any deploy test runs: cold, Helm and kustomize take minutes,
 * kube-apiserver and kubectl a quarter of an hour on two cores (docs/adr/0007).
 */
export default function globalSetup(): void {
  for (const tool of [HELM, KUSTOMIZE, KUBE_CHECK, KUBE_APISERVER, KUBECTL]) ensureTool(tool);
}
