import { Argument, type Command } from 'commander';
import { ExitCode } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { bashCompletion, completionTree, powershellCompletion, zshCompletion } from '../completion';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, powershell: powershellCompletion } as const;

export function registerCompletionCommand(program: Command, context: () => CliContext): void {
  program
    .command('completion')
    .description(
      'print a completion script for a shell, generated from the commands and options of this CLI: source <(writeback completion bash)',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) =>
      context().run(() => {
        process.stdout.write(SHELLS[shell](program.name(), completionTree(program)));
        return ExitCode.OK;
      }),
    );
}
