import { ConfigurationError } from './service-config';
import { AuditSettings, ExecutorSettings, GateSettings, readSettings } from './settings';

const executorEnv = {
  WRITEBACK_CONFIG_SERVICE_URL: 'http://config:8081',
  WRITEBACK_EXECUTOR_DOMAINS: 'corp',
  WRITEBACK_EXECUTOR_KEY_DIR: '/keys',
};

describe('readSettings', () => {
  it('fills the defaults of what is unset', () => {
    expect(readSettings(ExecutorSettings, executorEnv)).toMatchObject({
      WRITEBACK_EXECUTOR_MAX_ATTEMPTS: 5,
      WRITEBACK_EXECUTOR_RETRY_BASE_MS: 500,
      WRITEBACK_EXECUTOR_LDAP_POOL_SIZE: 4,
      WRITEBACK_CONFIG_CACHE_MS: 2000,
      LOG_LEVEL: 'info',
    });
  });

  it('refuses what Number() would have turned into NaN, 0 or a fraction, naming each variable', () => {
    for (const wrong of ['abc', '', ' ', '1.5', '5e2', '0x10', '-1', '0']) {
      expect(() => readSettings(ExecutorSettings, { ...executorEnv, WRITEBACK_EXECUTOR_MAX_ATTEMPTS: wrong })).toThrow(
        new ConfigurationError('invalid settings: WRITEBACK_EXECUTOR_MAX_ATTEMPTS: expected an integer from 1 to 100'),
      );
    }
  });

  it('names every bad variable at once, and never repeats a value (it may be a secret)', () => {
    const env = {
      ...executorEnv,
      WRITEBACK_CONFIG_SERVICE_URL: 'not a url s3cr3t',
      WRITEBACK_AUDIT_RETENTION_INTERVAL_MS: '5',
    };
    expect(() => readSettings(AuditSettings, env)).toThrow(
      'WRITEBACK_CONFIG_SERVICE_URL: expected an http(s) URL; WRITEBACK_AUDIT_RETENTION_INTERVAL_MS: expected an integer from 1000 to 604800000',
    );
    expect(() => readSettings(AuditSettings, env)).not.toThrow(/s3cr3t/);
  });

  it('names a required setting that is missing or blank', () => {
    expect(() => readSettings(ExecutorSettings, { ...executorEnv, WRITEBACK_EXECUTOR_KEY_DIR: undefined })).toThrow(
      'WRITEBACK_EXECUTOR_KEY_DIR is required',
    );
    expect(() => readSettings(ExecutorSettings, { ...executorEnv, WRITEBACK_EXECUTOR_DOMAINS: '  ' })).toThrow(
      'WRITEBACK_EXECUTOR_DOMAINS is required',
    );
  });

  it("reads the gate's SCIM settings: no clients file, 20 s of waiting and 5 s per lookup unless set, within bounds", () => {
    const gateEnv = { WRITEBACK_CONFIG_SERVICE_URL: 'http://config:8081' };
    expect(readSettings(GateSettings, gateEnv)).toMatchObject({
      WRITEBACK_SCIM_WAIT_SECONDS: 20,
      WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: 5000,
    });
    expect(readSettings(GateSettings, gateEnv).WRITEBACK_SCIM_CLIENTS_FILE).toBeUndefined();
    expect(
      readSettings(GateSettings, { ...gateEnv, WRITEBACK_SCIM_CLIENTS_FILE: ' /etc/writeback/scim/clients.json ' }),
    ).toMatchObject({ WRITEBACK_SCIM_CLIENTS_FILE: '/etc/writeback/scim/clients.json' });
    expect(() => readSettings(GateSettings, { ...gateEnv, WRITEBACK_SCIM_WAIT_SECONDS: '31' })).toThrow(
      'WRITEBACK_SCIM_WAIT_SECONDS: expected an integer from 1 to 30',
    );
    expect(() => readSettings(GateSettings, { ...gateEnv, WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: '99' })).toThrow(
      'WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: expected an integer from 100 to 30000',
    );
  });
});
