#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { errorMessage, exitCodeOf, type CliContext } from './cli-context';
import { ExitCode } from './cli-errors';
import { registerAuditCommands } from './commands/audit.command';
import { registerDeadLetterCommands } from './commands/dead-letters.command';
import { registerDoctorCommand } from './commands/doctor.command';
import { registerDomainCommands } from './commands/domains.command';
import { registerKeyCommands } from './commands/keys.command';
import { registerOperationCommands } from './commands/operations.command';
import { registerPermissionCommands } from './commands/permissions.command';
import { registerTopicCommands } from './commands/topics.command';
import { registerValidateCommand } from './commands/validate.command';
import { createOutput } from './output';
import { endpointsFromEnv, ServiceClient } from './services';

const ENVIRONMENT_HELP = `
Environment:
  WRITEBACK_CONFIG_URL    config-service (default http://127.0.0.1:8081, the embedded default)
  WRITEBACK_GATE_URL      policy gate (default http://127.0.0.1:8080)
  WRITEBACK_AUDIT_URL     audit service (default http://127.0.0.1:8083)
  WRITEBACK_TOKEN, WRITEBACK_TOKEN_FILE
                          an operator's bearer token (scope writeback.operator) when authentication is on
  WRITEBACK_ADMIN_PASSWORD
                          the administrator password for \`permissions grant\` (else a file or a prompt)
  WRITEBACK_DATABASE_URL, WRITEBACK_KAFKA_BROKERS
                          checked by \`doctor\` when set; read by \`audit verify\`
  WRITEBACK_KAFKA_*       the services' Kafka settings (TLS, SASL, topic defaults), for
                          \`doctor\` and \`topics create\`
  The service account's password is resolved from the domain's bindSecretRef (env:NAME or
  file:/path) in this environment, for permissions check, doctor and validate.

Exit codes: 0 success, 1 the check failed or the change was refused, 2 bad usage,
3 the command could not run (a service, DC or database unreachable, a secret missing).`;

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('writeback')
    .description(
      'Operate Writeback: domains, switches, keys, AD permissions, diagnostics, validation and dead letters.',
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--quiet', 'no progress messages on stderr')
    .showHelpAfterError()
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride();
  let context: CliContext | undefined;
  const getContext = (): CliContext => {
    if (context) return context;
    const globals = program.opts<{ json?: boolean; quiet?: boolean }>();
    const out = createOutput(globals.json ?? false, globals.quiet ?? false);
    context = {
      out,
      services: new ServiceClient(endpointsFromEnv(env), env),
      env,
      run: async (command) => {
        try {
          process.exitCode = await command();
        } catch (error) {
          process.exitCode = exitCodeOf(error);
          if (out.json) {
            process.stdout.write(`${JSON.stringify({ error: errorMessage(error), exitCode: process.exitCode })}\n`);
          }
          process.stderr.write(`writeback: ${errorMessage(error)}\n`);
        }
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
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/**
 * Whether `--json` was asked for, also when parsing stopped before reaching it (an unknown
 * command): program options count before and after the command, up to `--`.
 */
function wantsJson(program: Command, argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (
    program.opts<{ json?: boolean }>().json === true || argv.slice(0, end < 0 ? undefined : end).includes('--json')
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
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`writeback: ${errorMessage(error)}\n`);
    process.exitCode = ExitCode.CANNOT_RUN;
  });
}
