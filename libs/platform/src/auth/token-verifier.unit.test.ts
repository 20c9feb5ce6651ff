import { ConfigurationError } from '../service-config';
import { isLoopbackHost, readAuthConfig } from './token-verifier';

describe('readAuthConfig', () => {
  it('switches authentication off on a loopback address', () => {
    for (const host of ['127.0.0.1', '127.0.0.21', 'localhost', '::1', '[::1]']) {
      expect(readAuthConfig({ WRITEBACK_AUTH_MODE: 'none', WRITEBACK_HTTP_HOST: host })).toEqual({ mode: 'none' });
    }
    expect(readAuthConfig({ WRITEBACK_AUTH_MODE: 'none' })).toEqual({ mode: 'none' });
  });

  it('refuses authentication off on an address beyond loopback, naming both variables', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'gate.example.test']) {
      const reading = (): unknown => readAuthConfig({ WRITEBACK_AUTH_MODE: 'none', WRITEBACK_HTTP_HOST: host });
      expect(reading).toThrow(ConfigurationError);
      expect(reading).toThrow(/WRITEBACK_AUTH_MODE=none .*WRITEBACK_HTTP_HOST=/);
    }
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback from the rest', () => {
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.example.test')).toBe(false);
  });
});
