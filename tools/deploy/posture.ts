/**
 * Checks shared by the chart and the Kustomize tests: what every rendered set of objects must
 * hold, whatever the scenario. Each returns the problems found (none: it holds).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import {
  type Container,
  envNames,
  images,
  type K8sObject,
  podLabels,
  podTemplates,
  ROOT,
  schemaProblems,
  strictDecodeProblems,
} from './render';

const where = (o: K8sObject, container?: Container): string =>
  `${o.kind}/${o.metadata.name}${container ? ` container ${container.name}` : ''}`;

/** Problems against the Kubernetes OpenAPI schemas, and what strict field validation refuses. */
export function invalidObjects(objects: K8sObject[]): string[] {
  const strict = strictDecodeProblems(objects);
  return objects.flatMap((o, i) => [...schemaProblems(o), ...(strict[i] ?? [])].map((p) => `${where(o)}: ${p}`));
}

/** Every image is pinned: a tag that is not `latest`, or a digest. */
export function unpinnedImages(objects: K8sObject[]): string[] {
  return images(objects).filter((image) => {
    if (/@sha256:[a-f0-9]{64}$/.test(image)) return false;
    const tag = /:([^/:]+)$/.exec(image)?.[1];
    return !tag || tag === 'latest';
  });
}

/** Non-root, no privilege escalation, read-only root filesystem, no capabilities, no API token. */
export function insecureWorkloads(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    const pod = spec.securityContext ?? {};
    if (spec.automountServiceAccountToken !== false) problems.push(`${where(owner)}: mounts a service account token`);
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      const sc = c.securityContext ?? {};
      const nonRoot = sc['runAsNonRoot'] ?? pod['runAsNonRoot'];
      const user = sc['runAsUser'] ?? pod['runAsUser'];
      if (nonRoot !== true) problems.push(`${where(owner, c)}: runAsNonRoot is not true`);
      if (user === 0) problems.push(`${where(owner, c)}: runs as uid 0`);
      if (sc['allowPrivilegeEscalation'] !== false) problems.push(`${where(owner, c)}: allows privilege escalation`);
      if (sc['readOnlyRootFilesystem'] !== true) problems.push(`${where(owner, c)}: root filesystem is writable`);
      if (sc['privileged'] === true) problems.push(`${where(owner, c)}: privileged`);
      const drop = (sc['capabilities'] as { drop?: string[] } | undefined)?.drop ?? [];
      if (!drop.includes('ALL')) problems.push(`${where(owner, c)}: capabilities are not all dropped`);
    }
  }
  return problems;
}

function selects(policy: K8sObject, labels: Record<string, string>): boolean {
  const selector = (policy as unknown as { spec: { podSelector?: { matchLabels?: Record<string, string> } } }).spec
    .podSelector;
  const match = selector?.matchLabels ?? {};
  return Object.entries(match).every(([key, value]) => labels[key] === value);
}

/** Every workload's pods are selected by a NetworkPolicy that restricts both ingress and egress. */
export function unprotectedWorkloads(objects: K8sObject[]): string[] {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  return podTemplates(objects)
    .filter(({ owner }) => {
      const labels = podLabels(owner);
      return !policies.some((p) => {
        const types = (p as unknown as { spec: { policyTypes?: string[] } }).spec.policyTypes ?? [];
        return selects(p, labels) && types.includes('Ingress') && types.includes('Egress');
      });
    })
    .map(({ owner }) => `${where(owner)}: no NetworkPolicy restricts both its ingress and egress`);
}

/**
 * Executors reach LDAP(S) only at their own domain's DCs: every rule opening an LDAP port names
 * exactly those CIDRs, no rule names another domain's, and every egress rule is limited to ports.
 */
export function executorEgressProblems(objects: K8sObject[], dcCidrsByDomain: Record<string, string[]>): string[] {
  const LDAP_PORTS = new Set([389, 636, 3268, 3269]);
  const problems: string[] = [];
  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const domain = policy.metadata.labels?.['writeback.io/domain'];
    if (!domain) continue;
    type Rule = { ports?: { port: number | string }[]; to?: { ipBlock?: { cidr: string } }[] };
    const egress = (policy as unknown as { spec: { egress: Rule[] } }).spec.egress;
    const own = [...(dcCidrsByDomain[domain] ?? [])].sort();
    const others = Object.entries(dcCidrsByDomain).flatMap(([d, cidrs]) => (d === domain ? [] : cidrs));
    for (const rule of egress) {
      if (!rule.ports?.length) problems.push(`${where(policy)}: an egress rule without ports`);
      const cidrs = (rule.to ?? []).flatMap((peer) => (peer.ipBlock ? [peer.ipBlock.cidr] : [])).sort();
      if (rule.ports?.some((p) => LDAP_PORTS.has(Number(p.port))) && JSON.stringify(cidrs) !== JSON.stringify(own)) {
        problems.push(`${where(policy)}: LDAP open to ${cidrs.join(',') || 'anywhere'}, not the DCs of ${domain}`);
      }
      for (const cidr of cidrs.filter((c) => others.includes(c))) {
        problems.push(`${where(policy)}: reaches ${cidr}, a DC of another domain`);
      }
    }
    if (!egress.some((rule) => rule.ports?.some((p) => LDAP_PORTS.has(Number(p.port))))) {
      problems.push(`${where(policy)}: no egress to the DCs of ${domain}`);
    }
  }
  return problems;
}

/** A secret's name; a `*_FILE` variable holds the path of a mounted Secret, not the secret. */
const SECRET_NAME = /^(?!.*_FILE$).*(PASSWORD|SECRET|TOKEN|DATABASE_URL|PRIVATE|CREDENTIAL)/;
const SECRET_VALUE = /-----BEGIN|:\/\/[^/\s:@]+:[^/\s@]+@/;

/** No Secret objects, secret-looking variables only from secretKeyRef, no credentials in ConfigMaps. */
export function inlineSecrets(objects: K8sObject[]): string[] {
  const problems = objects.filter((o) => o.kind === 'Secret').map((o) => `${where(o)}: a Secret with inline data`);
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of spec.containers) {
      for (const env of c.env ?? []) {
        const fromSecret = Boolean((env.valueFrom as { secretKeyRef?: unknown } | undefined)?.secretKeyRef);
        if (SECRET_NAME.test(env.name) && !fromSecret)
          problems.push(`${where(owner, c)}: ${env.name} is not a secretKeyRef`);
        if (env.value !== undefined && SECRET_VALUE.test(env.value)) {
          problems.push(`${where(owner, c)}: ${env.name} holds a credential`);
        }
      }
    }
  }
  for (const map of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [key, value] of Object.entries((map as { data?: Record<string, string> }).data ?? {})) {
      if (SECRET_NAME.test(key) || SECRET_VALUE.test(value)) problems.push(`${where(map)}: ${key} looks like a secret`);
    }
  }
  return problems;
}

const CODE_READING_ENV = [
  'libs/platform/src/service-config.ts',
  'libs/platform/src/auth/token-verifier.ts',
  'libs/platform/src/auth/scim-auth.guard.ts',
  'libs/platform/src/domain-config.client.ts',
  'libs/platform/src/prisma.module.ts',
  'libs/observability/src/telemetry.ts',
  'libs/observability/src/logger.ts',
  'libs/persistence/src/migrate.cli.ts',
  'apps/writeback-executor/src/main.ts',
  'apps/writeback-executor/src/app.module.ts',
  'apps/audit-service/src/audit/retention.service.ts',
  'apps/policy-gate/src/operations/gate-options.ts',
  'apps/policy-gate/src/scim/scim-options.ts',
];

/** The source's code without its comments: the text of every token the parser keeps. */
function codeTokens(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const tokens: string[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    if (node.getChildCount(source) === 0) tokens.push(node.getText(source));
    else node.getChildren(source).forEach(visit);
  };
  visit(source);
  return tokens;
}

/**
 * The variables the code reads (process.env[...], env[...], requireEnv(...), the zod schemas).
 * Names in comments do not count: a variable only mentioned there is read by nothing.
 */
export function envVarsReadByCode(files = CODE_READING_ENV): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    for (const token of codeTokens(resolve(ROOT, file))) {
      for (const m of token.matchAll(/\b((?:WRITEBACK|OTEL)_[A-Z0-9_]+|LOG_LEVEL|DATABASE_URL|MIGRATIONS_DIR)\b/g)) {
        names.add(m[1] as string);
      }
    }
  }
  // readServiceConfig builds each service's port variable from its name.
  for (const service of ['policy-gate', 'config-service', 'writeback-executor', 'audit-service']) {
    names.add(`WRITEBACK_${service.toUpperCase().replace(/-/g, '_')}_PORT`);
  }
  return names;
}

/** Every variable a container is given is one the code reads (a misspelt name would be ignored). */
export function unknownEnvVars(objects: K8sObject[], known = envVarsReadByCode()): string[] {
  const problems: string[] = [];
  for (const { owner, spec } of podTemplates(objects)) {
    if (!spec.containers.some((c) => c.image.includes('/writeback'))) continue;
    for (const c of spec.containers) {
      for (const name of envNames(c, objects)) {
        if (!known.has(name)) problems.push(`${where(owner, c)}: ${name} is read by no code`);
      }
    }
  }
  return problems;
}

/** README "Deployment" table: component -> the exact command line it documents. */
export function documentedCommands(): Map<string, string[]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## Deployment')[1]?.split('\n## ')[0] ?? '';
  const commands = new Map<string, string[]>();
  for (const m of section.matchAll(/^\| ([a-z-]+) \| `(node [^`]+)` \|/gm)) {
    commands.set(m[1] as string, (m[2] as string).split(' '));
  }
  return commands;
}

function parsedTsconfig(path: string): ts.ParsedCommandLine {
  const read = ts.readConfigFile(path, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config as object, ts.sys, dirname(path));
}

/**
 * The script each command runs is what `npm run build` emits and the image ships, checked from
 * the sources rather than from dist/ (which a clean checkout lacks, and a stale build would
 * fake): `<project>/dist/x.js` comes from `<project>/src/x.ts`, compiled by the project's
 * tsconfig (rootDir src, outDir dist), which tsconfig.build.json references, and the
 * Dockerfile copies the project's dist/ into the image.
 */
export function missingEntryPoints(commands: Map<string, string[]>): string[] {
  const build = parsedTsconfig(join(ROOT, 'tsconfig.build.json'));
  const built = new Set((build.projectReferences ?? []).map((r) => relative(ROOT, r.path)));
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const copied = /for project in ([^;]+); do[\s\S]*?"\$project\/dist"/.exec(dockerfile)?.[1]?.split(/\s+/) ?? [];
  const problems: string[] = [];
  for (const script of [...commands.values()].map((argv) => argv[1] as string)) {
    const m = /^((?:apps|libs)\/[a-z0-9-]+)\/dist\/(.+)\.js$/.exec(script);
    if (!m) {
      problems.push(`${script}: not a <project>/dist/*.js script`);
      continue;
    }
    const [, project, rest] = m as unknown as [string, string, string];
    const projectDir = join(ROOT, project);
    const tsconfig = join(projectDir, 'tsconfig.json');
    const none: Pick<ts.ParsedCommandLine, 'options' | 'fileNames'> = { options: {}, fileNames: [] };
    const { options, fileNames } = existsSync(tsconfig) ? parsedTsconfig(tsconfig) : none;
    const source = join(projectDir, 'src', `${rest}.ts`);
    if (options.rootDir !== join(projectDir, 'src') || options.outDir !== join(projectDir, 'dist')) {
      problems.push(`${script}: ${project}/tsconfig.json does not compile src/ to dist/`);
    } else if (!fileNames.includes(source)) {
      problems.push(`${script}: ${relative(ROOT, source)} is not compiled (missing, or excluded)`);
    }
    if (!built.has(project)) problems.push(`${script}: tsconfig.build.json does not build ${project}`);
    if (!copied.includes(`${dirname(project)}/*`))
      problems.push(`${script}: the Dockerfile does not copy ${project}/dist`);
  }
  return problems;
}
