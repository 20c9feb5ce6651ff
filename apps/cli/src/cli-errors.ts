/** Exit codes, documented in `writeback --help`. */
export const ExitCode = {
  OK: 0,
  /** The command ran and its answer is "no": a failed check, a refused change. */
  FAILED: 1,
  USAGE: 2,
  /** The command could not run: a service, DC or database unreachable, a missing secret. */
  CANNOT_RUN: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UsageError extends Error {}

/** A service answered 4xx: the request was understood and refused. */
export class RefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The operator answered no to a confirmation: nothing was changed; exit code 1. */
export class DeclinedError extends Error {}

/** Anything that kept the command from running; exit code 3. */
export class CannotRunError extends Error {}
