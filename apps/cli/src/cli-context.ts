import { DirectoryError } from '@writeback/directory';
import { describeOrigin, type Connection, type Endpoints } from './cli-config';
import { DeclinedError, ExitCode, RefusedError, UsageError } from './cli-errors';
import type { Output } from './output';
import type { ServiceClient } from './services';

/** What a changing command changed, in its --json result too. */
export interface ChangeTarget {
  endpoint: string;
  /** The context the endpoint came from; null when a variable or a default gave it. */
  context: string | null;
}

export interface CliContext {
  out: Output;
  /** Resolved on first use, so that commands which connect nowhere run with any config file. */
  readonly services: ServiceClient;
  env: NodeJS.ProcessEnv;
  /** Runs a command and sets the process exit code from its result or its error. */
  run(command: () => Promise<number> | number): Promise<void>;
  /**
   * Says on stderr, before a change, which endpoint it goes to and where that endpoint came
   * from (context, environment, default), so nobody changes the wrong system unawares.
   */
  changing(target: keyof Endpoints | { what: string; endpoint: string }): ChangeTarget;
  /**
   * Goes ahead with --yes, else asks the question on a terminal, else refuses (bad usage)
   * without building the question, which may need a service; throws unless confirmed.
   */
  confirm(yes: boolean | undefined, refusal: string, question: () => Promise<string>): Promise<void>;
}

const SERVICE_NAMES: Record<keyof Endpoints, string> = {
  configUrl: 'config-service',
  gateUrl: 'policy gate',
  auditUrl: 'audit service',
};

/** The stderr line of a changing command. */
export function changingLine(connection: Connection, target: keyof Endpoints | { what: string; endpoint: string }) {
  if (typeof target === 'string') {
    return `writeback: changing ${SERVICE_NAMES[target]} at ${connection.endpoints[target]} (${describeOrigin(connection, target)})`;
  }
  return `writeback: changing ${target.what} at ${target.endpoint}${connection.context ? ` (context ${connection.context})` : ''}`;
}

/**
 * Errors are classified once, here, into the documented exit codes: anything that is neither
 * bad usage nor a refusal kept the command from running (unreachable service, DC or database,
 * unreadable secret).
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof RefusedError || error instanceof DeclinedError) return ExitCode.FAILED;
  return ExitCode.CANNOT_RUN;
}

export function errorMessage(error: unknown): string {
  if (error instanceof DirectoryError) return `${error.reason.code}: ${error.message} (${error.detail})`;
  return error instanceof Error ? error.message : String(error);
}
