import { DirectoryError } from '@writeback/directory';
import { ExitCode, RefusedError, UsageError } from './cli-errors';
import type { Output } from './output';
import type { ServiceClient } from './services';

export interface CliContext {
  out: Output;
  services: ServiceClient;
  env: NodeJS.ProcessEnv;
  /** Runs a command and sets the process exit code from its result or its error. */
  run(command: () => Promise<number>): Promise<void>;
}

/**
 * Errors are classified once, here, into the documented exit codes: anything that is neither
 * bad usage nor a refusal kept the command from running (unreachable service, DC or database,
 * unreadable secret).
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof RefusedError) return ExitCode.FAILED;
  return ExitCode.CANNOT_RUN;
}

export function errorMessage(error: unknown): string {
  if (error instanceof DirectoryError) return `${error.reason.code}: ${error.message} (${error.detail})`;
  return error instanceof Error ? error.message : String(error);
}
