/**
 * A Kubernetes API server on loopback for the deploy tests: etcd (Debian's etcd-server, from
 * ensure-system-deps.sh) and kube-apiserver 1.37.2 (built by go-tools.ts), no nodes, no
 * controllers. Enough for `kubectl apply --dry-run=server`, which runs the server's decoding,
 * defaulting, validation and admission without storing anything.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as YAML from 'yaml';
import { freePort } from '@writeback/supervisor';
import { ensureTool, KUBE_APISERVER, KUBECTL } from './go-tools';
import type { K8sObject } from './render';

export interface Cluster {
  /** Runs kubectl against the server; its output, and whether it succeeded. */
  kubectl(args: string[], input?: string): { ok: boolean; output: string };
  /** Creates CustomResourceDefinitions for real and waits until the server serves their kinds. */
  installCrds(files: string[]): void;
  /** `kubectl apply --dry-run=server --validate=strict` of these objects in namespace writeback. */
  dryRunApply(objects: K8sObject[]): { ok: boolean; output: string };
  stop(): void;
}

function started(command: string, args: string[], log: string): ChildProcess {
  const out = openSync(log, 'w');
  const child = spawn(command, args, { stdio: ['ignore', out, out] });
  closeSync(out);
  return child;
}

export async function startCluster(timeoutMs = 90_000): Promise<Cluster> {
  if (spawnSync('etcd', ['--version']).error) {
    throw new Error('etcd is missing: run tools/harness/ensure-system-deps.sh (Debian etcd-server)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'writeback-apiserver-'));
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = started(
    'etcd',
    [
      '--name=writeback-test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=writeback-test=http://127.0.0.1:${etcdPeer}`,
    ],
    join(dir, 'etcd.log'),
  );

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'tokens.csv'), 'writeback-test-token,admin,admin,system:masters\n');
  const apiserver = started(
    ensureTool(KUBE_APISERVER),
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The default reconciler refuses a loopback address for the kubernetes Service's endpoints.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=AlwaysAllow',
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
    ],
    join(dir, 'kube-apiserver.log'),
  );

  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'test', cluster: { server: `https://127.0.0.1:${apiPort}`, 'insecure-skip-tls-verify': true } },
      ],
      users: [{ name: 'admin', user: { token: 'writeback-test-token' } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin', namespace: 'writeback' } }],
      'current-context': 'test',
    }),
  );
  const kubectlPath = ensureTool(KUBECTL);
  const kubectl = (args: string[], input?: string): { ok: boolean; output: string } => {
    const run = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input });
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
  };
  // SIGKILL: nothing is stored worth a clean stop, and a kube-apiserver told to stop while its
  // etcd goes too can wait on it for minutes, keeping the test run alive.
  const stop = (): void => {
    apiserver.kill('SIGKILL');
    etcd.kill('SIGKILL');
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (kubectl(['get', '--raw', '/readyz']).output === 'ok') break;
    const exited = [apiserver, etcd].find((p) => p.exitCode !== null);
    if (exited || Date.now() > deadline) {
      stop();
      throw new Error(`the API server did not become ready (logs in ${dir})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    kubectl,
    installCrds: (files) => {
      const created = kubectl(['apply', '--server-side', ...files.flatMap((f) => ['-f', f])]);
      if (!created.ok) throw new Error(`cannot create the CRDs: ${created.output}`);
      const names = files.map((f) => YAML.parse(readFileSync(f, 'utf8')) as { metadata: { name: string } });
      const established = kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        ...names.map((crd) => `crd/${crd.metadata.name}`),
      ]);
      if (!established.ok) throw new Error(`the CRDs were not established: ${established.output}`);
    },
    dryRunApply: (objects) =>
      kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-f', '-'],
        objects.map((o) => YAML.stringify(o)).join('---\n'),
      ),
    stop: () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
