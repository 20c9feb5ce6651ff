/**
 * The command-line tools the deploy tests run (Helm, kustomize, kube-apiserver, kubectl, the
 * project's kube-check), built from the Go module proxy at the versions pinned in tools/<tool>/go.mod (go.sum committed
 * beside it) and cached in `${WRITEBACK_CACHE_DIR:-~/.cache/writeback}/<tool>-<version>/`
 * (docs/adr/0007).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { harnessCacheDir } from '@writeback/testing';

const ROOT = join(__dirname, '..', '..');

export interface GoTool {
  /** The binary's name, and the folder under tools/ holding the module that pins it unless `dir` says. */
  name: string;
  /** The folder under tools/ holding the module, when it is not `name`. */
  dir?: string;
  /** The module whose version go.mod pins; none for the project's own programs. */
  module?: string;
  /** The package to build. */
  pkg: string;
  /** -ldflags for a version, as the tool's own release build sets them. */
  ldflags?: (version: string) => string;
}

export const HELM: GoTool = {
  name: 'helm',
  module: 'helm.sh/helm/v4',
  pkg: 'helm.sh/helm/v4/cmd/helm',
  // Without it `helm version` says only "v4.3", the version in Helm's source.
  ldflags: (version) => `-X helm.sh/helm/v4/internal/version.version=${version}`,
};
export const KUSTOMIZE: GoTool = {
  name: 'kustomize',
  module: 'sigs.k8s.io/kustomize/kustomize/v5',
  pkg: 'sigs.k8s.io/kustomize/kustomize/v5',
};
export const KUBE_CHECK: GoTool = { name: 'kube-check', pkg: '.' };
/** `-X` flags setting the version Kubernetes' own release builds set (kubectl and the server print it). */
const kubernetesVersion = (version: string): string => {
  const [major, minor] = version.replace(/^v/, '').split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => [`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`])
    .join(' ');
};
export const KUBE_APISERVER: GoTool = {
  name: 'kube-apiserver',
  dir: 'kube-apiserver',
  module: 'k8s.io/kubernetes',
  pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
  ldflags: kubernetesVersion,
};
export const KUBECTL: GoTool = {
  name: 'kubectl',
  dir: 'kube-apiserver',
  module: 'k8s.io/kubernetes',
  pkg: 'k8s.io/kubernetes/cmd/kubectl',
  ldflags: kubernetesVersion,
};

function moduleDir(tool: GoTool): string {
  return join(ROOT, 'tools', tool.dir ?? tool.name);
}

/** The version of the tool that tools/<name>/go.mod requires, or a hash of the project's own sources. */
export function pinnedVersion(tool: GoTool): string {
  if (!tool.module) {
    const hash = createHash('sha256');
    for (const file of readdirSync(moduleDir(tool)).sort())
      hash.update(file).update(readFileSync(join(moduleDir(tool), file)));
    return hash.digest('hex').slice(0, 12);
  }
  const goMod = readFileSync(join(moduleDir(tool), 'go.mod'), 'utf8');
  const escaped = tool.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const version = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`tools/${tool.dir ?? tool.name}/go.mod does not require ${tool.module}`);
  return version;
}

export function toolPath(tool: GoTool): string {
  return join(harnessCacheDir(), `${tool.name}-${pinnedVersion(tool)}`, tool.name);
}

/** The Go version a module needs (its go directive), e.g. [1, 26]. */
function goDirective(dir: string): [number, number] {
  const match = /^go (\d+)\.(\d+)/m.exec(readFileSync(join(dir, 'go.mod'), 'utf8'));
  return [Number(match?.[1]), Number(match?.[2])];
}

/**
 * The machine's Go first on PATH: /usr/local/go is where the machines install Go 1.26, and an
 * older Go from Debian's golang-go (1.19) in /usr/bin must not take its place.
 */
function goEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: ['/usr/local/go/bin', process.env['PATH'] ?? ''].join(delimiter),
    // Never fetch another toolchain, never change go.mod or go.sum: the pins are what is reviewed.
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=readonly -buildvcs=false',
    CGO_ENABLED: '0',
  };
  const run = spawnSync('go', ['env', 'GOVERSION'], { cwd: dir, env, encoding: 'utf8' });
  const found = /^go(\d+)\.(\d+)/.exec(run.stdout ?? '');
  const [major, minor] = goDirective(dir);
  if (run.error || !found || Number(found[1]) * 1000 + Number(found[2]) < major * 1000 + minor) {
    throw new Error(
      `building ${dir} needs Go ${major}.${minor} or newer (found: ${run.stdout?.trim() || run.error?.message || run.stderr}); ` +
        'install it in /usr/local/go or first on PATH',
    );
  }
  return env;
}

/**
 * The source of a module a tools/<dir>/go.mod pins (checked against its go.sum), downloaded from
 * the Go module proxy into Go's module cache: for files a module ships, not a program to build.
 */
export function moduleSource(dir: string, module: string): string {
  const cwd = join(ROOT, 'tools', dir);
  const run = spawnSync('go', ['mod', 'download', '-json', module], { cwd, env: goEnv(cwd), encoding: 'utf8' });
  const source = run.status === 0 ? (JSON.parse(run.stdout) as { Dir?: string }).Dir : undefined;
  if (!source) throw new Error(`cannot download ${module} (tools/${dir}): ${run.error?.message ?? run.stderr}`);
  return source;
}

/** The tool's binary, built first if the cache does not hold it (minutes, cold). */
export function ensureTool(tool: GoTool): string {
  const binary = toolPath(tool);
  if (existsSync(binary)) return binary;
  const dir = moduleDir(tool);
  mkdirSync(join(binary, '..'), { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const ldflags = tool.ldflags ? ['-ldflags', tool.ldflags(pinnedVersion(tool))] : [];
  const build = spawnSync('go', ['build', '-trimpath', ...ldflags, '-o', partial, tool.pkg], {
    cwd: dir,
    env: goEnv(dir),
    encoding: 'utf8',
  });
  if (build.error || build.status !== 0) {
    throw new Error(
      `cannot build ${tool.pkg} (tools/${tool.dir ?? tool.name}): ${build.error?.message ?? build.stderr}`,
    );
  }
  // Whole or not at all: a build cut short leaves only the partial file.
  renameSync(partial, binary);
  return binary;
}
