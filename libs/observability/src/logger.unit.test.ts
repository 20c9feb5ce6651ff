import { Writable } from 'node:stream';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger, SECRET_FIELDS } from './logger';
import { redactSecrets } from './redact';
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

  it.each(SECRET_FIELDS.flatMap((field) => [0, 1, 3, 6, 9].map((depth) => [field, depth] as const)))(
    'redacts %s at depth %i',
    (field, depth) => {
      let details: Record<string, unknown> = { [field]: 'P1aintext!' };
      for (let i = 0; i < depth; i++) details = { [`level${i}`]: details };
      const { lines, stream } = capture();
      createLogger('test', stream).warn(details, 'something happened');
      expect(lines.join('')).toContain('[REDACTED]');
      expect(lines.join('')).not.toContain('P1aintext!');
    },
  );

  // The fields of libs/contracts that carry a password, sealed or not, in the shapes they travel in.
  it.each([
    ['CreateOperationRequest.newPassword', { body: { kind: 'reset', newPassword: 'P1aintext!' } }],
    [
      'ApplyPasswordWriteback.data.credential',
      { command: { data: { credential: { keyId: 'k1', enc: 'ZW5j', ciphertext: 'P1aintext!' } } } },
    ],
    ['SealedCredential.ciphertext', { sealed: { keyId: 'k1', enc: 'ZW5j', ciphertext: 'P1aintext!' } }],
    ['DomainConfig.bindSecretRef', { domain: { bindDn: 'CN=svc', bindSecretRef: 'env:P1aintext!' } }],
  ])('redacts %s', (_name, details) => {
    const { lines, stream } = capture();
    createLogger('test', stream).info(details, 'something happened');
    expect(lines.join('')).not.toContain('P1aintext!');
  });

  it('redacts inside arrays, and keeps what is not secret', () => {
    const { lines, stream } = capture();
    createLogger('test', stream).info(
      { binds: [{ dc: 'dc1', Password: 'P1aintext!' }, [{ apiKey: 'P1aintext!' }]], domainId: 'corp' },
      'something happened',
    );
    const line = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(line['binds']).toEqual([{ dc: 'dc1', Password: '[REDACTED]' }, [{ apiKey: '[REDACTED]' }]]);
    expect(line['domainId']).toBe('corp');
  });

  it('redacts fields of an error and of its cause, and still logs it as an error', () => {
    const cause = Object.assign(new Error('bind refused'), { bindPassword: 'P1aintext!' });
    const err = Object.assign(new TypeError('write failed', { cause }), { config: { clientSecret: 'P1aintext!' } });
    const { lines, stream } = capture();
    createLogger('test', stream).error({ err }, 'something failed');
    const line = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
    expect(lines.join('')).not.toContain('P1aintext!');
    expect(line.err).toMatchObject({
      type: 'TypeError',
      message: 'write failed: bind refused',
      config: { clientSecret: '[REDACTED]' },
    });
    expect(line.err['stack']).toContain('write failed');
    expect(err.config.clientSecret).toBe('P1aintext!');
  });

  it('survives a circular reference', () => {
    const details: Record<string, unknown> = { token: 'P1aintext!', nested: { secret: 'P1aintext!' } };
    (details['nested'] as Record<string, unknown>)['parent'] = details;
    const { lines, stream } = capture();
    createLogger('test', stream).info(details, 'something happened');
    expect(lines.join('')).toContain('[Circular]');
    expect(lines.join('')).not.toContain('P1aintext!');
  });

  it('redacts the bindings of a child logger and of its children, keeping the rest', () => {
    const { lines, stream } = capture();
    createLogger('test', stream)
      .child({ domainId: 'corp', ldap: { options: { passphrase: 'P1aintext!' } } })
      .child({ dc: 'dc1', api_key: 'P1aintext!' })
      .info('something happened');
    expect(lines.join('')).not.toContain('P1aintext!');
    expect(JSON.parse(lines.join(''))).toMatchObject({
      domainId: 'corp',
      ldap: { options: { passphrase: '[REDACTED]' } },
      dc: 'dc1',
      api_key: '[REDACTED]',
    });
  });

  it('leaves an object without secrets as it is', () => {
    const details = { domainId: 'corp', dcs: ['dc1', 'dc2'], at: new Date(0), publicKey: 'abc', keyId: 'k1' };
    expect(redactSecrets(details)).toBe(details);
  });

  it('redacts a wide and deep object quickly', () => {
    let details: Record<string, unknown> = { password: 'P1aintext!' };
    for (let i = 0; i < 20; i++)
      details = Object.fromEntries([...Array(20).keys()].map((k) => [`f${k}`, k === 0 ? details : k]));
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) redactSecrets(details);
    const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / 1000;
    expect(JSON.stringify(redactSecrets(details))).not.toContain('P1aintext!');
    // About 0.3 ms here; the bound catches a walk gone quadratic, not a slow machine.
    expect(perCallMs).toBeLessThan(5);
  });

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
