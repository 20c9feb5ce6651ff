import { readLauncherSettings, SettingsError } from './settings';

describe('readLauncherSettings', () => {
  const checkout = '/srv/writeback';
  const cwd = '/home/someone';

  it('given nothing set, then the embedded defaults: ports 8080-8083, data in the checkout', () => {
    const settings = readLauncherSettings({}, checkout, cwd);
    expect(settings).toMatchObject({
      dataDir: '/srv/writeback/.writeback',
      keyDir: '/srv/writeback/.writeback/keys',
      databaseUrl: undefined,
      kafkaBrokers: [],
      kafkaIdempotent: true,
      executorDomains: '*',
      ports: { gate: 8080, config: 8081, executor: 8082, audit: 8083 },
      authMode: 'none',
    });
  });

  it('given relative directories, then they are taken from the current directory', () => {
    const settings = readLauncherSettings(
      { WRITEBACK_DATA_DIR: 'data', WRITEBACK_EXECUTOR_KEY_DIR: 'k' },
      checkout,
      cwd,
    );
    expect(settings).toMatchObject({ dataDir: '/home/someone/data', keyDir: '/home/someone/k' });
  });

  it('given ports, brokers and an issuer, then they are used', () => {
    const settings = readLauncherSettings(
      {
        WRITEBACK_POLICY_GATE_PORT: '9080',
        WRITEBACK_AUDIT_SERVICE_PORT: '0',
        WRITEBACK_KAFKA_BROKERS: 'a:9092, b:9092,',
        WRITEBACK_KAFKA_IDEMPOTENT: 'false',
        WRITEBACK_AUTH_ISSUER: 'https://issuer.example',
      },
      checkout,
      cwd,
    );
    expect(settings).toMatchObject({
      ports: { gate: 9080, config: 8081, executor: 8082, audit: 0 },
      kafkaBrokers: ['a:9092', 'b:9092'],
      kafkaIdempotent: false,
      authMode: 'jwt',
    });
  });

  it.each([['80a'], [''], ['-1'], ['65536'], ['8080.5']])(
    'given a port setting of %j, then it refuses to start and names the variable',
    (value) => {
      const read = (): unknown => readLauncherSettings({ WRITEBACK_CONFIG_SERVICE_PORT: value }, checkout, cwd);
      expect(read).toThrow(SettingsError);
      expect(read).toThrow(`WRITEBACK_CONFIG_SERVICE_PORT=${JSON.stringify(value)}: must be a port number (0-65535)`);
    },
  );

  it('given a typo in WRITEBACK_KAFKA_IDEMPOTENT, then it refuses to start and names it', () => {
    expect(() => readLauncherSettings({ WRITEBACK_KAFKA_IDEMPOTENT: 'flase' }, checkout, cwd)).toThrow(
      /WRITEBACK_KAFKA_IDEMPOTENT="flase"/,
    );
  });
});
