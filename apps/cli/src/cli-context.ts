import { DirectoryError } from '@writeback/directory';
import { ConfigurationError } from '@writeback/platform';
import { CannotRunError, ExitCode, RefusedError, UsageError } from './cli-errors';
import type { Output } from './output';
import type { ServiceClient } from './services';

export interface CliContext {
  out: Output;
  services: ServiceClient;
  env: NodeJS.ProcessEnv;
  /** Runs a command and sets the process exit code from its result or its error. */
  run(command: () => Promise<number>): Promise<void>;
}

/** Errors are classified once, here, into the documented exit codes. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof RefusedError) return ExitCode.FAILED;
  if (error instanceof CannotRunError || error instanceof ConfigurationError || error instanceof DirectoryError) {
    return ExitCode.CANNOT_RUN;
  }
  return ExitCode.CANNOT_RUN;
}

export function errorMessage(error: unknown): string {
  if (error instanceof DirectoryError) return `${error.reason.code}: ${error.message} (${error.detail})`;
  return error instanceof Error ? error.message : String(error);
}
