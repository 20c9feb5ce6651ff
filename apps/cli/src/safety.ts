import { UsageError } from './cli-errors';

export type Confirmation = 'proceed' | 'ask' | 'refuse';

/** A change that needs confirming goes ahead with --yes, is asked about on a terminal, else refused. */
export function decideConfirmation(yes: boolean, terminal: boolean): Confirmation {
  if (yes) return 'proceed';
  return terminal ? 'ask' : 'refuse';
}

/**
 * Which domains a bulk switch names: one with --domain, every one only with an explicit --all;
 * neither is bad usage, so that a bare `writeback disable` never changes every domain.
 */
export function decideTargets(
  command: string,
  options: { domain?: string; all?: boolean },
): { domain: string } | { all: true } {
  if (options.domain !== undefined && options.all) throw new UsageError('give --domain or --all, not both');
  if (options.domain !== undefined) return { domain: options.domain };
  if (options.all) return { all: true };
  throw new UsageError(
    `${command} changes nothing without a target: name one domain with --domain <id>, or every domain with --all`,
  );
}
