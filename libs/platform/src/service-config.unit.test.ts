import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, isLoopbackHost, readServiceConfig } from './service-config';

const base = {
  WRITEBACK_DATABASE_URL: 'postgresql://u:p@db:5432/writeback',
  WRITEBACK_KAFKA_BROKERS: 'k1:9093,k2:9093',
};

function pemFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'service-config-')), name);
  writeFileSync(file, text);
  return file;
}

describe('readServiceConfig', () => {
  it('uses plaintext Kafka without SASL unless told otherwise', () => {
    const { bus } = readServiceConfig('policy-gate', 8080, base);
    expect(bus).toMatchObject({ transport: 'kafka', brokers: ['k1:9093', 'k2:9093'] });
    expect(bus).not.toHaveProperty('tls');
    expect(bus).not.toHaveProperty('sasl');
  });

  it('waits 250 ms per empty fetch unless told otherwise, and refuses a wait that is not a positive count', () => {
    expect(readServiceConfig('policy-gate', 8080, base).bus).toMatchObject({ fetchMaxWaitMs: 250 });
    expect(
      readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS: '20' }).bus,
    ).toMatchObject({ fetchMaxWaitMs: 20 });
    for (const wrong of ['0', '-5', '1.5', 'soon']) {
      expect(() =>
        readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS: wrong }),
      ).toThrow(/WRITEBACK_KAFKA_FETCH_MAX_WAIT_MS/);
    }
  });

  it('reads the Kafka CA and client certificate from mounted files', () => {
    const env = {
      ...base,
      WRITEBACK_KAFKA_TLS: 'true',
      WRITEBACK_KAFKA_TLS_CA_FILE: pemFile('ca.crt', 'CA PEM'),
      WRITEBACK_KAFKA_TLS_CERT_FILE: pemFile('tls.crt', 'CERT PEM'),
      WRITEBACK_KAFKA_TLS_KEY_FILE: pemFile('tls.key', 'KEY PEM'),
    };
    expect(readServiceConfig('policy-gate', 8080, env).bus).toMatchObject({
      tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
    });
  });

  it('turns TLS on with the system CAs when no file is given', () => {
    const { bus } = readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_KAFKA_TLS: 'true' });
    expect(bus).toMatchObject({ tls: {} });
  });

  it('refuses TLS files when TLS is off, rather than talking in clear', () => {
    const env = { ...base, WRITEBACK_KAFKA_TLS_CA_FILE: pemFile('ca.crt', 'CA PEM') };
    expect(() => readServiceConfig('policy-gate', 8080, env)).toThrow(ConfigurationError);
  });

  it('names an unreadable TLS file', () => {
    const env = { ...base, WRITEBACK_KAFKA_TLS: 'true', WRITEBACK_KAFKA_TLS_CA_FILE: '/nonexistent/ca.crt' };
    expect(() => readServiceConfig('policy-gate', 8080, env)).toThrow('WRITEBACK_KAFKA_TLS_CA_FILE');
  });

  it('reads SASL credentials and requires both of them', () => {
    const sasl = {
      ...base,
      WRITEBACK_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      WRITEBACK_KAFKA_SASL_USERNAME: 'writeback',
      WRITEBACK_KAFKA_SASL_PASSWORD: 'from-a-secret',
    };
    expect(readServiceConfig('policy-gate', 8080, sasl).bus).toMatchObject({
      sasl: { mechanism: 'scram-sha-512', username: 'writeback', password: 'from-a-secret' },
    });
    const { WRITEBACK_KAFKA_SASL_PASSWORD: _password, ...withoutPassword } = sasl;
    expect(() => readServiceConfig('policy-gate', 8080, withoutPassword)).toThrow('WRITEBACK_KAFKA_SASL_PASSWORD');
  });

  it('refuses an unknown SASL mechanism', () => {
    const env = { ...base, WRITEBACK_KAFKA_SASL_MECHANISM: 'gssapi' };
    expect(() => readServiceConfig('policy-gate', 8080, env)).toThrow(ConfigurationError);
  });
});

describe('authentication off (WRITEBACK_AUTH_MODE=none)', () => {
  it('is taken on a loopback address', () => {
    for (const host of ['127.0.0.1', '127.0.0.21', 'localhost', '::1', '[::1]']) {
      expect(
        readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_AUTH_MODE: 'none', WRITEBACK_HTTP_HOST: host }),
      ).toMatchObject({ httpHost: host });
    }
    expect(readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_AUTH_MODE: 'none' }).httpHost).toBe('127.0.0.1');
  });

  it('is refused on an address beyond loopback, naming both variables', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'gate.example.test']) {
      const reading = (): unknown =>
        readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_AUTH_MODE: 'none', WRITEBACK_HTTP_HOST: host });
      expect(reading).toThrow(ConfigurationError);
      expect(reading).toThrow(
        `WRITEBACK_AUTH_MODE=none switches authentication off, which is allowed on loopback only, but WRITEBACK_HTTP_HOST=${host}`,
      );
    }
    expect(readServiceConfig('policy-gate', 8080, { ...base, WRITEBACK_HTTP_HOST: '0.0.0.0' }).httpHost).toBe(
      '0.0.0.0',
    );
  });

  it('tells loopback from the rest', () => {
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.example.test')).toBe(false);
  });
});
