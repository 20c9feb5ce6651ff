import { WritebackError, type Reason } from '@writeback/contracts';
import {
  classifyDirectoryFailure,
  missingRight,
  Reasons,
  type ClassifiedFailure,
  type DelegatedRight,
} from '@writeback/domain';

/**
 * A failure already classified by the domain rules; its code is the reason's (`AD.*`), and
 * `detail` is the raw directory text, for operators' logs only.
 */
export class DirectoryError extends WritebackError {
  readonly code: string;
  readonly reason: Reason;
  readonly retriable: boolean;

  constructor(
    classified: ClassifiedFailure,
    readonly detail: string,
    readonly resultCode?: number,
  ) {
    super(classified.reason.message);
    this.code = classified.reason.code;
    this.reason = classified.reason;
    this.retriable = classified.retriable;
  }
}

export function toDirectoryError(error: unknown): DirectoryError {
  if (error instanceof DirectoryError) return error;
  const code = (error as { code?: unknown }).code;
  const resultCode = typeof code === 'number' ? code : undefined;
  const message =
    error instanceof Error ? `${typeof code === 'string' ? `${code} ` : ''}${error.message}` : String(error);
  return new DirectoryError(classifyDirectoryFailure({ resultCode, message }), message, resultCode);
}

export const isConnectionLevel = (error: DirectoryError): boolean =>
  error.reason.code === Reasons.DC_UNAVAILABLE.code || error.reason.code === Reasons.TLS_FAILURE.code;

const LDAP_INSUFFICIENT_ACCESS = 50;

/** Runs one write; a refusal for lack of rights names the delegated right it needed. */
export async function needing<T>(right: DelegatedRight, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const failure = toDirectoryError(error);
    if (failure.resultCode !== LDAP_INSUFFICIENT_ACCESS) throw failure;
    throw new DirectoryError({ reason: missingRight(right), retriable: true }, failure.detail, failure.resultCode);
  }
}
