import { configFilePath, describeOrigin, resolveConnection, type CliConfig } from './cli-config';
import { UsageError } from './cli-errors';

const config: CliConfig = {
  currentContext: 'prod',
  contexts: {
    prod: { configUrl: 'https://config.prod', gateUrl: 'https://gate.prod', tokenFile: '/run/prod.token' },
    lab: { configUrl: 'http://config.lab', tokenEnv: 'LAB_TOKEN' },
  },
};

describe('resolveConnection', () => {
  it('falls back to the built-in defaults with no context and no environment', () => {
    const c = resolveConnection({}, { contexts: {} });
    expect(c.endpoints).toEqual({
      configUrl: 'http://127.0.0.1:8081',
      gateUrl: 'http://127.0.0.1:8080',
      auditUrl: 'http://127.0.0.1:8083',
    });
    expect(c.context).toBeNull();
    expect(c.token).toBeUndefined();
    expect(describeOrigin(c, 'configUrl')).toBe('built-in default');
  });

  it('takes the current context over the defaults, endpoint by endpoint', () => {
    const c = resolveConnection({}, config);
    expect(c.context).toBe('prod');
    expect(c.endpoints).toMatchObject({ configUrl: 'https://config.prod', auditUrl: 'http://127.0.0.1:8083' });
    expect(c.token).toEqual({ kind: 'file', path: '/run/prod.token', from: 'context prod' });
    expect(describeOrigin(c, 'configUrl')).toBe('context prod');
  });

  it('lets the environment win over the current context, the token included', () => {
    const c = resolveConnection({ WRITEBACK_CONFIG_URL: 'http://elsewhere', WRITEBACK_TOKEN: 't' }, config);
    expect(c.endpoints.configUrl).toBe('http://elsewhere');
    expect(c.endpoints.gateUrl).toBe('https://gate.prod');
    expect(c.token).toMatchObject({ kind: 'variable', name: 'WRITEBACK_TOKEN' });
    expect(describeOrigin(c, 'configUrl')).toBe('WRITEBACK_CONFIG_URL, over context prod');
  });

  it('lets --context win over the environment for what the context sets', () => {
    const env = {
      WRITEBACK_CONFIG_URL: 'http://elsewhere',
      WRITEBACK_AUDIT_URL: 'http://audit.env',
      WRITEBACK_TOKEN: 't',
    };
    const c = resolveConnection(env, config, 'lab');
    expect(c.context).toBe('lab');
    expect(c.endpoints).toEqual({
      configUrl: 'http://config.lab',
      gateUrl: 'http://127.0.0.1:8080',
      auditUrl: 'http://audit.env',
    });
    expect(c.token).toEqual({ kind: 'variable', name: 'LAB_TOKEN', from: 'context lab' });
    expect(describeOrigin(c, 'configUrl')).toBe('--context lab');
  });

  it('refuses a --context the file does not have, naming the ones it has', () => {
    expect(() => resolveConnection({}, config, 'stage')).toThrow(UsageError);
    expect(() => resolveConnection({}, config, 'stage')).toThrow('known: prod, lab');
  });
});

describe('configFilePath', () => {
  it('follows XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/x', HOME: '/home/o' })).toBe('/x/writeback/config.json');
    expect(configFilePath({ HOME: '/home/o' })).toBe('/home/o/.config/writeback/config.json');
  });
});
