import pino, { type Logger } from 'pino';
import { logContext } from './tracing';

/**
 * Every field name that could carry a password or a key, at any depth we log. A test keeps
 * this list honest (logger.unit.test.ts).
 */
export const SECRET_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'oldPassword',
  'bindPassword',
  'secret',
  'privateKey',
  'credential',
  'ciphertext',
  'unicodePwd',
  'authorization',
  'cookie',
];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]).concat([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
]);

export type { Logger };

/**
 * JSON lines with secrets redacted; each line written on behalf of an operation carries its
 * `operationId`, and each line written inside a span its `trace_id` and `span_id`.
 */
export function createLogger(service: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: service,
      level: process.env['LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logContext,
    },
    destination,
  );
}
