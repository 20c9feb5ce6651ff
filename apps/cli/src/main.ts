#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { read } from 'read';
import { configFilePath, readConfig, resolveConnection } from './cli-config';
import { changingLine, errorMessage, exitCodeOf, type CliContext } from './cli-context';
import { DeclinedError, ExitCode, UsageError } from './cli-errors';
import { registerAuditCommands } from './commands/audit.command';
import { registerCompletionCommand } from './commands/completion.command';
import { registerContextCommands } from './commands/context.command';
import { registerDeadLetterCommands } from './commands/dead-letters.command';
import { registerDoctorCommand } from './commands/doctor.command';
import { registerDomainCommands } from './commands/domains.command';
import { registerKeyCommands } from './commands/keys.command';
import { registerOperationCommands } from './commands/operations.command';
import { registerPermissionCommands } from './commands/permissions.command';
import { registerScimTokenCommand } from './commands/scim-token.command';
import { registerTopicCommands } from './commands/topics.command';
import { registerValidateCommand } from './commands/validate.command';
import { createOutput } from './output';
import { decideConfirmation } from './safety';
import { ServiceClient } from './services';

const ENVIRONMENT_HELP = `
Environment:
  WRITEBACK_CONFIG_URL    config-service (default http://127.0.0.1:8081, the embedded default)
  WRITEBACK_GATE_URL      policy gate (default http://127.0.0.1:8080)
  WRITEBACK_AUDIT_URL     audit service (default http://127.0.0.1:8083)
  WRITEBACK_TOKEN, WRITEBACK_TOKEN_FILE
                          an operator's bearer token (scope writeback.operator) when authentication is on
  XDG_CONFIG_HOME         the contexts are in $XDG_CONFIG_HOME/writeback/config.json (default
                          ~/.config/writeback/config.json); the variables above win over the
                          current context, and --context NAME wins over them
  WRITEBACK_ADMIN_PASSWORD
                          the administrator password for \`permissions grant\` (else a file or a prompt)
  WRITEBACK_DATABASE_URL, WRITEBACK_KAFKA_BROKERS
                          checked by \`doctor\` when set; read by \`audit verify\` (unset, both
                          use the database of the \`npm start\` running from this checkout)
  WRITEBACK_DATA_DIR      \`npm start\`'s data directory, if not the checkout's .writeback
  WRITEBACK_KAFKA_*       the services' Kafka settings (TLS, SASL, topic defaults), for
                          \`doctor\` and \`topics create\`
  The service account's password is resolved from the domain's bindSecretRef (env:NAME or
  file:/path) in this environment, for permissions check, doctor and validate.

Exit codes: 0 success, 1 the check failed or the change was refused, 2 bad usage,
3 the command could not run (a service, DC or database unreachable, a secret missing).`;

/** The CLI package's version, read from its package.json beside `dist/` (and `src/`) at run time. */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  context?: string;
}

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('writeback')
    .description(
      'Operate Writeback: domains, switches, keys, AD permissions, diagnostics, validation, operations, the audit trail and dead letters.',
    )
    .version(cliVersion(), '-V, --version', 'the version of this CLI')
    .option('-j, --json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no progress messages on stderr')
    .option('--context <name>', 'use this context (from `writeback context list`) for this command')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride();
  let context: CliContext | undefined;
  const getContext = (): CliContext => {
    if (context) return context;
    const globals = program.opts<GlobalOptions>();
    const out = createOutput(globals.json ?? false, globals.quiet ?? false);
    let services: ServiceClient | undefined;
    const connect = (): ServiceClient =>
      (services ??= new ServiceClient(resolveConnection(env, readConfig(configFilePath(env)), globals.context), env));
    context = {
      out,
      get services() {
        return connect();
      },
      env,
      run: async (command) => {
        try {
          process.exitCode = await command();
        } catch (error) {
          reportError(error, out.json);
        }
      },
      changing: (target) => {
        const { connection } = connect();
        process.stderr.write(`${changingLine(connection, target)}\n`);
        if (typeof target !== 'string') return { endpoint: target.endpoint, context: connection.context };
        // The context only when the endpoint came from it, not when a variable overrode it.
        const fromContext = ['context', 'flag'].includes(connection.origins[target]);
        return { endpoint: connection.endpoints[target], context: fromContext ? connection.context : null };
      },
      confirm: async (yes, refusal, question) => {
        const decision = decideConfirmation(yes === true, process.stdin.isTTY === true);
        if (decision === 'proceed') return;
        if (decision === 'refuse') throw new UsageError(`${refusal}: confirm with --yes (no terminal to ask on)`);
        const answer = await read({ prompt: `${await question()} [y/N] `, output: process.stderr });
        if (!/^y(es)?$/i.test(answer.trim())) throw new DeclinedError('not confirmed; nothing was changed');
      },
    };
    return context;
  };
  registerDomainCommands(program, getContext);
  registerKeyCommands(program, getContext);
  registerPermissionCommands(program, getContext);
  registerDoctorCommand(program, getContext);
  registerValidateCommand(program, getContext);
  registerOperationCommands(program, getContext);
  registerAuditCommands(program, getContext);
  registerDeadLetterCommands(program, getContext);
  registerTopicCommands(program, getContext);
  registerScimTokenCommand(program, getContext);
  registerContextCommands(program, getContext);
  registerCompletionCommand(program, getContext);
  const exitOverride = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** An error as the exit code it is classified as, its message on stderr and, with --json, on stdout. */
function reportError(error: unknown, json: boolean): void {
  process.exitCode = exitCodeOf(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: errorMessage(error), exitCode: process.exitCode })}\n`);
  process.stderr.write(`writeback: ${errorMessage(error)}\n`);
}

/**
 * Whether `--json` was asked for, also when parsing stopped before reaching it (an unknown
 * command): program options count before and after the command, up to `--`.
 */
function wantsJson(program: Command, argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (
    program.opts<GlobalOptions>().json === true ||
    argv.slice(0, end < 0 ? undefined : end).some((arg) => arg === '--json' || arg === '-j')
  );
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with their own code 0.
      process.exitCode = error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      if (process.exitCode !== ExitCode.OK && wantsJson(program, argv)) {
        // Commander has written the message and the help to stderr already.
        const message = error.message.replace(/^error: /, '');
        process.stdout.write(`${JSON.stringify({ error: message, exitCode: process.exitCode })}\n`);
      }
      return;
    }
    reportError(error, wantsJson(program, argv));
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`writeback: ${errorMessage(error)}\n`);
    process.exitCode = ExitCode.CANNOT_RUN;
  });
}
