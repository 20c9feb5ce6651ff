import { createServer } from 'node:net';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from './service-process';

export interface ExecutorSpec {
  /** e.g. `executor-corp`. */
  instance: string;
  /** `corp`, `corp,fabrikam` or `*`. */
  domains: string;
  env?: Record<string, string>;
}

export interface SystemOptions {
  databaseUrl: string;
  /** Distributed mode when set; otherwise the PostgreSQL transport (embedded default). */
  kafkaBrokers?: string[];
  kafkaIdempotent?: boolean;
  /** Directory holding `<domainId>.key` private keys for the executors. */
  keyDir: string;
  executors: ExecutorSpec[];
  /** Fixed ports (embedded default); free ports are picked when omitted. */
  ports?: { gate: number; config: number; audit: number; executor: number };
  host?: string;
  /** One log file per process here; inherited stdio when omitted. */
  logDir?: string;
  env?: Record<string, string>;
  /** Options for node in every service process (e.g. the benchmark's `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

export interface RunningSystem {
  gateUrl: string;
  configUrl: string;
  auditUrl: string;
  processes: Map<string, ServiceProcess>;
  /** Restarts one process (after a stop or kill) with its original settings. */
  restart(name: string): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts config-service first (the others read it), then the gate, executors and audit. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const host = options.host ?? '127.0.0.1';
  const port = async (fixed: number | undefined): Promise<number> => fixed ?? (await freePort(host));
  const configPort = await port(options.ports?.config);
  const gatePort = await port(options.ports?.gate);
  const auditPort = await port(options.ports?.audit);
  const configUrl = `http://${host}:${configPort}`;
  const common: Record<string, string> = {
    WRITEBACK_DATABASE_URL: options.databaseUrl,
    WRITEBACK_HTTP_HOST: host,
    WRITEBACK_CONFIG_SERVICE_URL: configUrl,
    ...(options.kafkaBrokers?.length
      ? {
          WRITEBACK_KAFKA_BROKERS: options.kafkaBrokers.join(','),
          WRITEBACK_KAFKA_IDEMPOTENT: String(options.kafkaIdempotent ?? true),
        }
      : {}),
    ...options.env,
  };
  const specs = new Map<string, Parameters<typeof startServiceProcess>[0]>();
  const define = (spec: Parameters<typeof startServiceProcess>[0]): void => {
    specs.set(spec.instance ?? spec.service, {
      ...spec,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      ...(options.logDir ? { logFile: join(options.logDir, `${spec.instance ?? spec.service}.log`) } : {}),
    });
  };
  define({
    service: 'config-service',
    url: configUrl,
    env: { ...common, WRITEBACK_CONFIG_SERVICE_PORT: String(configPort) },
  });
  define({
    service: 'policy-gate',
    url: `http://${host}:${gatePort}`,
    env: { ...common, WRITEBACK_POLICY_GATE_PORT: String(gatePort) },
  });
  for (const executor of options.executors) {
    const executorPort = await port(options.executors.length === 1 ? options.ports?.executor : undefined);
    define({
      service: 'writeback-executor',
      instance: executor.instance,
      url: `http://${host}:${executorPort}`,
      env: {
        ...common,
        WRITEBACK_WRITEBACK_EXECUTOR_PORT: String(executorPort),
        WRITEBACK_EXECUTOR_DOMAINS: executor.domains,
        WRITEBACK_EXECUTOR_KEY_DIR: options.keyDir,
        ...executor.env,
      },
    });
  }
  define({
    service: 'audit-service',
    url: `http://${host}:${auditPort}`,
    env: { ...common, WRITEBACK_AUDIT_SERVICE_PORT: String(auditPort) },
  });

  const processes = new Map<string, ServiceProcess>();
  const stop = async (): Promise<void> => {
    // Reverse order: consumers stop before config-service, which they read.
    for (const name of [...processes.keys()].reverse()) await processes.get(name)?.stop();
    processes.clear();
  };
  try {
    for (const [name, spec] of specs) {
      // Migrations run once, in the first service; the rest find the schema in place.
      const env = processes.size === 0 ? spec.env : { ...spec.env, WRITEBACK_MIGRATE_ON_START: 'false' };
      processes.set(name, await startServiceProcess({ ...spec, env }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gateUrl: `http://${host}:${gatePort}`,
    configUrl,
    auditUrl: `http://${host}:${auditPort}`,
    processes,
    restart: async (name) => {
      const spec = specs.get(name);
      if (!spec) throw new Error(`no process named ${name}`);
      await processes.get(name)?.stop();
      const started = await startServiceProcess({ ...spec, env: { ...spec.env, WRITEBACK_MIGRATE_ON_START: 'false' } });
      processes.set(name, started);
      return started;
    },
    stop,
  };
}
