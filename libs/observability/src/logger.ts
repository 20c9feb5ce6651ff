import pino, { type Logger } from 'pino';
import { REDACTED, redactSecrets } from './redact';
import { logContext } from './tracing';

/**
 * Names the redaction must catch, kept as examples for the tests (logger.unit.test.ts): the
 * match itself is by pattern (`isSecretName`), at any depth, whatever the case or separator.
 */
export const SECRET_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'oldPassword',
  'bindPassword',
  'adminPassword',
  'Password',
  'bind_password',
  'passphrase',
  'secret',
  'clientSecret',
  'token',
  'accessToken',
  'apiKey',
  'x-api-key',
  'privateKey',
  'credential',
  'ciphertext',
  'unicodePwd',
  'authorization',
  'cookie',
];

/**
 * What pino's own path redaction still covers: the request pino-http serializes, which only
 * exists after `formatters.log` has run.
 */
export const REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'req.body'];

export type { Logger };

/**
 * JSON lines with secrets redacted; each line written on behalf of an operation carries its
 * `operationId`, and each line written inside a span its `trace_id` and `span_id`.
 */
export function createLogger(service: string, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      name: service,
      level: process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { log: redactSecrets },
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logContext,
    },
    destination,
  );
  // pino applies `formatters.bindings` to the root logger's bindings only, never to a child's;
  // children inherit this method, so every generation's bindings pass through it.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each child as `this`
  const { child } = logger;
  logger.child = function redactedChild(this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  } as Logger['child'];
  return logger;
}
