import type { Command } from 'commander';
import { newScimClientToken } from '@writeback/platform';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';

/**
 * A new static token for a SCIM client (ADR 0023 §6). The token goes to stdout, for the
 * cloud service's connector and nowhere else; the line for WRITEBACK_SCIM_CLIENTS_FILE (its
 * hash, which is not a secret) to stderr, so redirecting one never mixes them.
 */
export function registerScimTokenCommand(program: Command, context: () => CliContext): void {
  program
    .command('scim-token')
    .description(
      "a new static token for a SCIM client: the token on stdout, its line for the gate's WRITEBACK_SCIM_CLIENTS_FILE on stderr",
    )
    .requiredOption('--name <name>', 'the client, recorded as the caller of its pushes (e.g. okta)')
    .action((o: { name: string }) =>
      context().run(() => {
        let created: ReturnType<typeof newScimClientToken>;
        try {
          created = newScimClientToken(o.name);
        } catch {
          throw new UsageError('--name must be 1 to 128 characters');
        }
        process.stderr.write(`${JSON.stringify(created.line)}\n`);
        context().out.result({ token: created.token }, () => created.token);
        return ExitCode.OK;
      }),
    );
}
