import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkContext,
  configFilePath,
  describeOrigin,
  ENDPOINT_ENV,
  readConfig,
  resolveConnection,
  writeConfig,
  type CliContextConfig,
  type Endpoints,
} from '../cli-config';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { table } from '../output';

interface SetOptions {
  configUrl?: string;
  gateUrl?: string;
  auditUrl?: string;
  tokenFile?: string;
  tokenEnv?: string;
  token: boolean;
  use?: boolean;
}

const tokenSourceOf = (c: CliContextConfig): string =>
  c.tokenFile ? `file ${c.tokenFile}` : c.tokenEnv ? `$${c.tokenEnv}` : '';

const ENDPOINT_KEYS = Object.keys(ENDPOINT_ENV) as Array<keyof Endpoints>;

export function registerContextCommands(program: Command, context: () => CliContext): void {
  /** The CLI context, the config file and what it holds; with a name, one it must hold. */
  const load = (existing?: string) => {
    const ctx = context();
    const file = configFilePath(ctx.env);
    const config = readConfig(file);
    if (existing !== undefined && !config.contexts[existing]) throw new UsageError(`no context ${existing} in ${file}`);
    return { ctx, file, config };
  };

  const contexts = program
    .command('context')
    .description(
      'named sets of endpoints and token sources, as kubectl and gh have them (kept in $XDG_CONFIG_HOME/writeback/config.json)',
    );

  contexts
    .command('list')
    .description('the contexts, the current one marked *')
    .action(() =>
      context().run(() => {
        const { ctx, file, config } = load();
        const items = Object.entries(config.contexts).map(([name, c]) => ({
          name,
          current: name === config.currentContext,
          ...c,
        }));
        ctx.out.result({ file, currentContext: config.currentContext ?? null, contexts: items }, () =>
          items.length === 0
            ? `no context in ${file}; create one with \`writeback context set NAME --config-url URL …\``
            : table(
                ['', 'context', 'config URL', 'gate URL', 'audit URL', 'token'],
                items.map((c) => [c.current ? '*' : '', c.name, c.configUrl, c.gateUrl, c.auditUrl, tokenSourceOf(c)]),
              ),
        );
        return ExitCode.OK;
      }),
    );

  contexts
    .command('show [name]')
    .description(
      'where commands connect with this context (default: the current one), after the environment and --context',
    )
    .action((name: string | undefined) =>
      context().run(() => {
        const { ctx, file, config } = load();
        const flag = name ?? (program.opts<{ context?: string }>().context || undefined);
        const connection = resolveConnection(ctx.env, config, flag);
        const endpoints = Object.fromEntries(
          ENDPOINT_KEYS.map((key) => [key, { url: connection.endpoints[key], from: describeOrigin(connection, key) }]),
        );
        const token = connection.token
          ? connection.token.kind === 'file'
            ? `file ${connection.token.path} (from ${connection.token.from})`
            : `$${connection.token.name} (from ${connection.token.from})`
          : 'none';
        ctx.out.result({ file, context: connection.context, endpoints, token }, () =>
          [
            `context: ${connection.context ?? '(none)'}   file: ${file}`,
            table(
              ['endpoint', 'URL', 'from'],
              [
                ...ENDPOINT_KEYS.map((key) => [
                  ENDPOINT_ENV[key],
                  connection.endpoints[key],
                  describeOrigin(connection, key),
                ]),
                ['token', token, ''],
              ],
            ),
          ].join('\n'),
        );
        return ExitCode.OK;
      }),
    );

  contexts
    .command('use <name>')
    .description('make a context the current one: later commands connect where it says')
    .action((name: string) =>
      context().run(async () => {
        const { ctx, file, config } = load(name);
        await writeConfig(file, { ...config, currentContext: name });
        ctx.out.result({ file, currentContext: name }, () => `now using context ${name} (${file})`);
        return ExitCode.OK;
      }),
    );

  contexts
    .command('set <name>')
    .description(
      'create or update a context: endpoints and where the token is (a file or a variable, never the token itself)',
    )
    .option('--config-url <url>', 'config-service URL')
    .option('--gate-url <url>', 'policy gate URL')
    .option('--audit-url <url>', 'audit service URL')
    .option('--token-file <path>', 'read the bearer token from this file')
    .option('--token-env <variable>', 'read the bearer token from this environment variable')
    .option('--no-token', 'send no token (authentication off)')
    .option('--use', 'also make it the current context')
    .action((name: string, o: SetOptions) =>
      context().run(async () => {
        if (o.tokenFile && o.tokenEnv) throw new UsageError('give --token-file or --token-env, not both');
        const { ctx, file, config } = load();
        const previous = config.contexts[name] ?? {};
        const newToken = o.tokenFile
          ? { tokenFile: resolve(o.tokenFile) }
          : o.tokenEnv
            ? { tokenEnv: o.tokenEnv }
            : undefined;
        const { tokenFile, tokenEnv, ...endpoints } = previous;
        const keptToken = o.token ? { ...(tokenFile ? { tokenFile } : {}), ...(tokenEnv ? { tokenEnv } : {}) } : {};
        const updated = checkContext(name, {
          ...endpoints,
          ...(o.configUrl ? { configUrl: o.configUrl } : {}),
          ...(o.gateUrl ? { gateUrl: o.gateUrl } : {}),
          ...(o.auditUrl ? { auditUrl: o.auditUrl } : {}),
          ...(newToken ?? keptToken),
        });
        await writeConfig(file, {
          ...config,
          contexts: { ...config.contexts, [name]: updated },
          ...(o.use ? { currentContext: name } : {}),
        });
        const current = o.use === true || config.currentContext === name;
        ctx.out.result(
          { file, name, settings: updated, current },
          () =>
            `context ${name} ${config.contexts[name] ? 'updated' : 'created'} in ${file}${current ? ' (current)' : ''}`,
        );
        return ExitCode.OK;
      }),
    );

  contexts
    .command('remove <name>')
    .description('delete a context (when it is the current one, commands fall back to the environment and defaults)')
    .action((name: string) =>
      context().run(async () => {
        const { ctx, file, config } = load(name);
        const { [name]: _removed, ...rest } = config.contexts;
        const wasCurrent = config.currentContext === name;
        await writeConfig(file, {
          ...config,
          contexts: rest,
          currentContext: wasCurrent ? null : config.currentContext,
        });
        ctx.out.result(
          { file, removed: name, currentContext: wasCurrent ? null : (config.currentContext ?? null) },
          () => `context ${name} removed${wasCurrent ? '; no context is current now' : ''}`,
        );
        return ExitCode.OK;
      }),
    );
}
