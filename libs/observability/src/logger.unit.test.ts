import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger, SECRET_FIELDS } from './logger';
import { withOperation } from './tracing';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it.each([
    ['top level', { password: 'P1aintext!' }],
    ['nested', { request: { newPassword: 'P1aintext!' } }],
    ['deeply nested', { a: { b: { currentPassword: 'P1aintext!' } } }],
    ['a private key', { keys: { privateKey: 'P1aintext!' } }],
    ['an http body', { req: { body: { anything: 'P1aintext!' } } }],
    ['an authorization header', { req: { headers: { authorization: 'Bearer P1aintext!' } } }],
  ])('redacts a secret %s', (_name, details) => {
    const { lines, stream } = capture();
    createLogger('test', stream).info(details, 'something happened');
    expect(lines.join('')).toContain('[REDACTED]');
    expect(lines.join('')).not.toContain('P1aintext!');
  });

  it.each(SECRET_FIELDS.flatMap((field) => [0, 1, 2, 3].map((depth) => [field, depth] as const)))(
    'redacts %s at depth %i',
    (field, depth) => {
      let details: Record<string, unknown> = { [field]: 'P1aintext!' };
      for (let i = 0; i < depth; i++) details = { [`level${i}`]: details };
      const { lines, stream } = capture();
      createLogger('test', stream).warn(details, 'something happened');
      expect(lines.join('')).not.toContain('P1aintext!');
    },
  );

  it('names the current operation in every line written on its behalf, and only there', () => {
    // What the OpenTelemetry SDK installs in a service.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { lines, stream } = capture();
    const logger = createLogger('test', stream);
    withOperation('0b7c7a52-5b0f-4a57-9b1e-2f5c1f7b9d10', () => {
      logger.info('inside');
      logger.child({ domainId: 'corp' }).warn({ attempt: 1 }, 'still inside');
    });
    logger.info('outside');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l['msg'], l['operationId']])).toEqual([
      ['inside', '0b7c7a52-5b0f-4a57-9b1e-2f5c1f7b9d10'],
      ['still inside', '0b7c7a52-5b0f-4a57-9b1e-2f5c1f7b9d10'],
      ['outside', undefined],
    ]);
    context.disable();
  });
});
