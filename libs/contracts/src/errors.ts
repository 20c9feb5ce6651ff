/**
 * The base of every error Writeback raises on purpose. Each adapter classifies a failure once,
 * where it arises, into a subclass with a stable `code` (`AREA.WHAT`, for logs, metrics and
 * dead letters) and `retriable`: true means the same work may succeed later (a peer down, a
 * busy pool), so a consumer delivers the message again with backoff; false means trying again
 * cannot help, so the message goes to the dead-letter topic or the operation to a terminal
 * outcome (ADR 0018). The message must never carry a secret: it reaches logs, spans and dead
 * letters.
 */
export abstract class WritebackError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What a consumer knows of a failure: retriable, not retriable, or never classified (a bug). */
export type Retriability = 'retriable' | 'not-retriable' | 'unclassified';

/**
 * Reads a failure's classification. Errors of libraries that classify their own (kafkajs'
 * `retriable`) count as classified; anything else is unclassified, which a consumer tries a
 * bounded number of times before dead-lettering, since an unknown error is most often a bug.
 */
export function retriabilityOf(error: unknown): Retriability {
  const flag = typeof error === 'object' && error !== null ? (error as { retriable?: unknown }).retriable : undefined;
  if (flag === true) return 'retriable';
  if (flag === false) return 'not-retriable';
  return 'unclassified';
}

/** The stable code of a Writeback error, else the error's name, for logs and dead letters. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof WritebackError) return error.code;
  if (error instanceof Error) return error.name;
  return 'UNKNOWN';
}
