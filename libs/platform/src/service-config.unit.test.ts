import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, readServiceConfig } from './service-config';

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
