import type { Command } from 'commander';
import { UsageError } from './cli-errors';

export const DOMAIN_FLAGS = '-d, --domain <id>';

/**
 * Every command names its domain with `-d, --domain`. The `domains` commands used to take it as
 * a positional id; that form still works, with a deprecation notice on stderr.
 */
export function domainOperand(command: Command): Command {
  return command
    .argument('[id]', 'deprecated: the domain, as --domain gives it')
    .option(DOMAIN_FLAGS, 'the domain')
    .usage('--domain <id> [options]');
}

/** The domain a `domainOperand` command names, from --domain or the deprecated positional id. */
export function domainOf(commandPath: string, positional: string | undefined, options: { domain?: string }): string {
  if (positional !== undefined && options.domain !== undefined && positional !== options.domain) {
    throw new UsageError(`two domains given (${positional} and --domain ${options.domain}); give --domain only`);
  }
  const domain = options.domain ?? positional;
  if (domain === undefined) throw new UsageError(`name the domain: writeback ${commandPath} --domain <id>`);
  if (options.domain === undefined) {
    process.stderr.write(
      `writeback: \`${commandPath} ${domain}\` is deprecated; use \`${commandPath} --domain ${domain}\` (or -d ${domain})\n`,
    );
  }
  return domain;
}
