import { Writable } from 'node:stream';
import { createLogger } from './logger';

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
  ])('redacts a secret %s', (_name, details) => {
    const { lines, stream } = capture();
    createLogger('test', stream).info(details, 'something happened');
    expect(lines.join('')).toContain('[REDACTED]');
    expect(lines.join('')).not.toContain('P1aintext!');
  });
});
