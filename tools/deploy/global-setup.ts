import { ensureTool, HELM, KUBE_CHECK, KUSTOMIZE } from './go-tools';

/** Builds Helm, kustomize and kube-check once, before any deploy test runs (a cold build takes minutes). */
export default function globalSetup(): void {
  ensureTool(HELM);
  ensureTool(KUSTOMIZE);
  ensureTool(KUBE_CHECK);
}
