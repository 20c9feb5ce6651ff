import { WritebackError } from '@writeback/contracts';

/** The transport cannot take or give messages now (brokers or their database away): try later. */
export class TransportUnavailable extends WritebackError {
  readonly code = 'BUS.UNAVAILABLE';
  readonly retriable = true;
}

/** The transport refused the messages themselves (too large, not authorised): later is no better. */
export class PublishRefused extends WritebackError {
  readonly code = 'BUS.PUBLISH_REFUSED';
  readonly retriable = false;
}

/**
 * kafkajs gives up on a broker it could not reach with these, flagged not retriable because
 * its own retries are spent; for Writeback the broker is merely away, so the work waits.
 */
const KAFKAJS_UNREACHABLE = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
]);

/** Classifies a kafkajs failure once, at the Kafka bus; the original is kept as `cause`. */
export function classifyKafkaError(error: unknown): WritebackError {
  if (error instanceof WritebackError) return error;
  const { name, retriable, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    retriable?: unknown;
    message?: unknown;
  };
  const text = `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : String(error)}`;
  if (retriable === false && !(typeof name === 'string' && KAFKAJS_UNREACHABLE.has(name))) {
    return new PublishRefused(`the brokers refused the messages (${text})`, { cause: error });
  }
  return new TransportUnavailable(`the brokers are unavailable (${text})`, { cause: error });
}
