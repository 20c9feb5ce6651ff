import { readFileSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UsageError } from './cli-errors';

/** Where the services are; the defaults are the embedded default's ports (`npm start`). */
export interface Endpoints {
  configUrl: string;
  gateUrl: string;
  auditUrl: string;
}

export const DEFAULT_ENDPOINTS: Endpoints = {
  configUrl: 'http://127.0.0.1:8081',
  gateUrl: 'http://127.0.0.1:8080',
  auditUrl: 'http://127.0.0.1:8083',
};

export const ENDPOINT_ENV: Record<keyof Endpoints, string> = {
  configUrl: 'WRITEBACK_CONFIG_URL',
  gateUrl: 'WRITEBACK_GATE_URL',
  auditUrl: 'WRITEBACK_AUDIT_URL',
};

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/**
 * A context names where the services are and where the operator's token is read from: a file
 * or an environment variable, never the token itself, so the file can be shown and shared.
 */
const contextSchema = z
  .strictObject({
    configUrl: httpUrl.optional(),
    gateUrl: httpUrl.optional(),
    auditUrl: httpUrl.optional(),
    tokenFile: z.string().min(1).optional(),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  })
  .refine((c) => !(c.tokenFile && c.tokenEnv), { message: 'give tokenFile or tokenEnv, not both' });

const configSchema = z.strictObject({
  currentContext: z.string().nullable().optional(),
  contexts: z.record(z.string().regex(CONTEXT_NAME, 'is not a context name'), contextSchema).default({}),
});

export type CliContextConfig = z.infer<typeof contextSchema>;
export type CliConfig = z.infer<typeof configSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('\n  ');
}

/** A context as given on the command line, checked as the config file's schema checks it. */
export function checkContext(name: string, context: CliContextConfig): CliContextConfig {
  if (!CONTEXT_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a context name (letters, digits, dot, dash, underscore)`);
  }
  const parsed = contextSchema.safeParse(context);
  if (!parsed.success) throw new UsageError(`context ${name}:\n  ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** `$XDG_CONFIG_HOME/writeback/config.json`, else `~/.config/writeback/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(base, 'writeback', 'config.json');
}

/** The config file, or an empty one when there is none; anything unreadable is bad usage. */
export function readConfig(file: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new UsageError(`the config file ${file} cannot be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the config file ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`the config file ${file} is invalid:\n  ${describeIssues(parsed.error)}`);
  }
  const config = parsed.data;
  if (config.currentContext && !config.contexts[config.currentContext]) {
    throw new UsageError(`the config file ${file} names the current context ${config.currentContext}, which it lacks`);
  }
  return config;
}

/** Writes the config file for its owner only: it names where tokens are, which is not public. */
export async function writeConfig(file: string, config: CliConfig): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

export type EndpointOrigin = 'flag' | 'environment' | 'context' | 'default';

/** Where the operator's token is read from; `from` says who named it, for error messages. */
export type TokenSource =
  { kind: 'variable'; name: string; from: string } | { kind: 'file'; path: string; from: string };

export interface Connection {
  endpoints: Endpoints;
  /** Where each endpoint came from, for the line changing commands print. */
  origins: Record<keyof Endpoints, EndpointOrigin>;
  /** The context in effect (named by --context, else the current one), if any. */
  context: string | null;
  token: TokenSource | undefined;
}

/**
 * Where the CLI connects, decided once: `--context NAME` (an explicit choice for one command)
 * wins over the environment, which wins over the current context, which wins over the built-in
 * defaults. Each endpoint and the token source is taken from the first layer that sets it.
 */
export function resolveConnection(env: NodeJS.ProcessEnv, config: CliConfig, flagContext?: string): Connection {
  if (flagContext !== undefined && !config.contexts[flagContext]) {
    const known = Object.keys(config.contexts);
    throw new UsageError(
      `no context ${flagContext}${known.length ? ` (known: ${known.join(', ')})` : ''}; create it with \`writeback context set\``,
    );
  }
  const contextName = flagContext ?? config.currentContext ?? null;
  const context = contextName ? config.contexts[contextName] : undefined;
  const pick = (key: keyof Endpoints): [string, EndpointOrigin] => {
    const fromEnv = env[ENDPOINT_ENV[key]];
    const fromContext = context?.[key];
    if (flagContext !== undefined && fromContext) return [fromContext, 'flag'];
    if (fromEnv) return [fromEnv, 'environment'];
    if (fromContext) return [fromContext, 'context'];
    return [DEFAULT_ENDPOINTS[key], 'default'];
  };
  const [configUrl, configOrigin] = pick('configUrl');
  const [gateUrl, gateOrigin] = pick('gateUrl');
  const [auditUrl, auditOrigin] = pick('auditUrl');
  const fromContext: TokenSource | undefined = context?.tokenFile
    ? { kind: 'file', path: context.tokenFile, from: `context ${contextName}` }
    : context?.tokenEnv
      ? { kind: 'variable', name: context.tokenEnv, from: `context ${contextName}` }
      : undefined;
  const fromEnv: TokenSource | undefined = env['WRITEBACK_TOKEN']
    ? { kind: 'variable', name: 'WRITEBACK_TOKEN', from: 'the environment' }
    : env['WRITEBACK_TOKEN_FILE']
      ? { kind: 'file', path: env['WRITEBACK_TOKEN_FILE'], from: 'WRITEBACK_TOKEN_FILE' }
      : undefined;
  return {
    endpoints: { configUrl, gateUrl, auditUrl },
    origins: { configUrl: configOrigin, gateUrl: gateOrigin, auditUrl: auditOrigin },
    context: contextName,
    token: flagContext !== undefined ? (fromContext ?? fromEnv) : (fromEnv ?? fromContext),
  };
}

/** How an endpoint's origin reads in the line a changing command prints. */
export function describeOrigin(connection: Connection, service: keyof Endpoints): string {
  switch (connection.origins[service]) {
    case 'flag':
      return `--context ${connection.context ?? '?'}`;
    case 'context':
      return `context ${connection.context ?? '?'}`;
    case 'environment':
      return `${ENDPOINT_ENV[service]}${connection.context ? `, over context ${connection.context}` : ''}`;
    case 'default':
      return connection.context
        ? `built-in default; context ${connection.context} does not set it`
        : 'built-in default';
  }
}
