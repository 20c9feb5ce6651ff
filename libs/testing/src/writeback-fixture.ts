import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executorTopic, Topics, type DomainSwitchChanges } from '@writeback/contracts';
import { startEmbeddedPostgres } from '@writeback/persistence';
import { generateDomainKeyPair } from '@writeback/sealing';
import { startSystem, type RunningSystem } from '@writeback/supervisor';
import { startKafkaCluster, type KafkaCluster } from './kafka-cluster';
import { startTestIssuer, type TestIssuer } from './test-issuer';
import type { ForestInfo } from './test-environment';
import { waitFor } from './wait-for';

export type Mode = 'distributed' | 'embedded';

export interface FixtureOptions {
  mode: Mode;
  forests: ForestInfo[];
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /**
   * Configure each forest as a domain (with a fresh key pair) through config-service's API; off
   * leaves that to the test (the CLI's own acceptance test), with the executors still holding
   * each forest's service-account password in `bindSecretEnv(forest)`.
   */
  configureDomains?: boolean;
  /** Partitions of each executor topic (default 3), the ceiling on one executor's parallel writes. */
  executorPartitions?: number;
  /** JVM options of the Kafka brokers (default: a quick start for tests; see startKafkaCluster). */
  kafkaJvmOptions?: readonly string[];
  /** Options for node in every service process (the benchmark's CPU profiles). */
  nodeArgs?: readonly string[];
}

export interface OperationView {
  operationId: string;
  status: string;
  domainId: string | null;
  reason: { code: string; message: string } | null;
  history: Array<{ type: string; occurredAt: string }>;
}

export interface WritebackFixture {
  mode: Mode;
  system: RunningSystem;
  /** The Apache Kafka cluster of distributed mode (three KRaft nodes), undefined in embedded mode. */
  kafka: KafkaCluster | undefined;
  databaseUrl: string;
  workDir: string;
  logDir: string;
  /** The executors' key directory. */
  keyDir: string;
  /** Signs the gate's bearer tokens, as an identity provider would. */
  issuer: TestIssuer;
  /** The services' own token (scope writeback.auditor) for reading configuration, in a file. */
  configReaderTokenFile: string;
  /** POST /v1/operations as `caller` (default `sspr-portal`); returns the HTTP status and body. */
  request(
    body: unknown,
    options?: { caller?: string; token?: string | null },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /**
   * Configures a forest as a domain through config-service's API (POST /v1/domains), with a fresh
   * key pair whose private half goes to the executors' key directory; enabled unless `changes` say
   * otherwise. What the fixture does for each forest unless `configureDomains` is off.
   */
  configureDomain(forest: ForestInfo, changes?: Record<string, unknown>): Promise<void>;
  /** PUT /v1/domains/:id with changes merged into the current configuration, as `operator`. */
  updateDomain(domainId: string, changes: Record<string, unknown>): Promise<void>;
  /** PATCH /v1/domains/:id/switches, as `operator`: `scimPush` too, so SCIM tests can turn pushes on. */
  setSwitches(domainId: string, switches: DomainSwitchChanges, operator?: string): Promise<Response>;
  /** The audit service's record of a domain's configuration changes, once it holds `expected`. */
  domainChanges(domainId: string, expected: number): Promise<Array<Record<string, unknown>>>;
  /** GET /v1/operations/:id, answered at once. */
  operation(operationId: string): Promise<OperationView>;
  /** Polls GET /v1/operations/:id?waitSeconds until the operation ends. */
  outcome(operationId: string, timeoutMs?: number): Promise<OperationView>;
  auditHistory(operationId: string, expectedEvents: number): Promise<Array<Record<string, unknown>>>;
  /**
   * Stops PostgreSQL (fast shutdown: sessions are cut) and starts it again on the same port and
   * data, as a database failover or restart would; the services must reconnect by themselves.
   */
  restartPostgres(): Promise<void>;
  /** Every log line written so far by the services whose process name matches. */
  logs(processName?: RegExp): Promise<string>;
  stop(): Promise<void>;
}

const domainIdOf = (forest: ForestInfo): string => forest.name;
/** The variable holding a forest's service-account password in every service's environment. */
export const bindSecretEnv = (forest: Pick<ForestInfo, 'name'>): string =>
  `WRITEBACK_TEST_BIND_${forest.name.toUpperCase()}`;

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * The whole system on real components: PostgreSQL, and in distributed mode an Apache Kafka
 * cluster with one executor per forest (each holding only its forest's key); in embedded mode
 * one executor for every domain over the PostgreSQL transport. Each forest is configured as a
 * domain through config-service's API, with a fresh key pair.
 */
export async function startWritebackFixture(options: FixtureOptions): Promise<WritebackFixture> {
  const workDir = await mkdtemp(join(tmpdir(), `writeback-${options.mode}-`));
  // As root, embedded PostgreSQL runs as the postgres user, which must be able to reach its dir.
  await chmod(workDir, 0o711);
  const logDir = join(workDir, 'logs');
  const keyDir = join(workDir, 'keys');
  await mkdir(logDir, { recursive: true });
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    let postgres = await startEmbeddedPostgres({ dataDir: join(workDir, 'postgres') });
    cleanups.push(() => postgres.stop());

    const domains = options.forests.map(domainIdOf);
    let kafka: KafkaCluster | undefined;
    if (options.mode === 'distributed') {
      // Created with Kafka's own TopicCommand, as the chart's topic Job does.
      kafka = await startKafkaCluster({
        workDir: join(workDir, 'kafka'),
        brokers: 3,
        ...(options.kafkaJvmOptions ? { jvmOptions: options.kafkaJvmOptions } : {}),
        topics: [
          { name: Topics.events, partitions: 6 },
          { name: Topics.deadLetters, partitions: 1 },
          { name: Topics.config, partitions: 1 },
          { name: Topics.audit, partitions: 3 },
          { name: Topics.lookups, partitions: 3 },
          ...domains.map((d) => ({ name: executorTopic(d), partitions: options.executorPartitions ?? 3 })),
        ],
      });
      const started = kafka;
      cleanups.push(() => started.stop());
    }

    const issuer = await startTestIssuer(workDir);
    // The gate's, executors' and audit service's own token for reading configuration.
    const serviceTokenFile = join(workDir, 'config-reader.token');
    await writeFile(
      serviceTokenFile,
      await issuer.token('writeback-services', { scope: 'writeback.auditor', expiresIn: '24h' }),
      { mode: 0o600 },
    );
    const bindSecrets = Object.fromEntries(options.forests.map((f) => [bindSecretEnv(f), f.serviceAccount.password]));
    const system = await startSystem({
      databaseUrl: postgres.connectionString,
      ...(kafka ? { kafkaBrokers: kafka.bootstrapServers } : {}),
      keyDir,
      executors:
        options.mode === 'distributed'
          ? options.forests.map((f) => ({
              instance: `executor-${f.name}`,
              domains: domainIdOf(f),
              env: { [bindSecretEnv(f)]: f.serviceAccount.password },
            }))
          : [{ instance: 'writeback-executor', domains: '*', env: bindSecrets }],
      logDir,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      // Short group sessions: a restarted consumer gets its partitions back in seconds.
      env: {
        WRITEBACK_EXECUTOR_RETRY_BASE_MS: '100',
        WRITEBACK_KAFKA_SESSION_TIMEOUT_MS: '6000',
        // Every decision reads the current domain configuration, so a test can change it and act at once.
        WRITEBACK_CONFIG_CACHE_MS: '0',
        // Suites send bursts for one user on purpose; the suite that tests the limits sets them.
        WRITEBACK_RATE_LIMIT_PER_CALLER: '0',
        WRITEBACK_RATE_LIMIT_PER_TARGET: '0',
        ...issuer.env,
        WRITEBACK_CONFIG_SERVICE_TOKEN_FILE: serviceTokenFile,
        ...options.env,
      },
    });
    cleanups.push(() => system.stop());

    const asOperator = async (operator = 'platform-operator'): Promise<Record<string, string>> => ({
      'content-type': 'application/json',
      authorization: `Bearer ${await issuer.token(operator, { scope: 'writeback.operator' })}`,
    });
    const asAuditor = async (): Promise<Record<string, string>> => ({
      authorization: `Bearer ${await issuer.token('records-auditor', { scope: 'writeback.auditor' })}`,
    });
    const configureDomain = async (forest: ForestInfo, changes: Record<string, unknown> = {}): Promise<void> => {
      const pair = await generateDomainKeyPair();
      await writeFile(join(keyDir, `${domainIdOf(forest)}.key`), pair.privateKey, { mode: 0o600 });
      const response = await fetch(new URL('/v1/domains', system.configUrl), {
        method: 'POST',
        headers: await asOperator(),
        body: JSON.stringify({
          id: domainIdOf(forest),
          displayName: forest.realm,
          ldapUrls: [forest.ldapsUrl],
          baseDn: forest.baseDn,
          upnSuffixes: [forest.domainDnsName],
          bindDn: forest.serviceAccount.upn,
          bindSecretRef: `env:${bindSecretEnv(forest)}`,
          tlsCaPem: forest.caPem,
          publicKey: pair.publicKey,
          writebackEnabled: true,
          allowUnlockWithoutReset: true,
          ...changes,
        }),
      });
      if (response.status !== 201) {
        throw new Error(
          `configuring ${forest.name} failed: ${response.status} ${JSON.stringify(await json(response))}`,
        );
      }
    };
    for (const forest of options.configureDomains === false ? [] : options.forests) await configureDomain(forest);

    const fixture: WritebackFixture = {
      mode: options.mode,
      system,
      kafka,
      databaseUrl: postgres.connectionString,
      workDir,
      logDir,
      keyDir,
      issuer,
      configReaderTokenFile: serviceTokenFile,
      configureDomain,
      request: async (body, requestOptions = {}) => {
        const token =
          requestOptions.token === undefined
            ? await issuer.token(requestOptions.caller ?? 'sspr-portal')
            : requestOptions.token;
        const response = await fetch(new URL('/v1/operations', system.gateUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: await json(response) };
      },
      updateDomain: async (domainId, changes) => {
        const url = new URL(`/v1/domains/${domainId}`, system.configUrl);
        const current = await json(await fetch(url, { headers: await asOperator() }));
        const { keyId: _k, version, createdAt: _c, updatedAt: _u, ...config } = current;
        const response = await fetch(url, {
          method: 'PUT',
          headers: { ...(await asOperator()), 'if-match': `"${String(version)}"` },
          body: JSON.stringify({ ...config, ...changes }),
        });
        if (!response.ok)
          throw new Error(`updating ${domainId} failed: ${response.status} ${JSON.stringify(await json(response))}`);
      },
      setSwitches: async (domainId, switches, operator) =>
        fetch(new URL(`/v1/domains/${domainId}/switches`, system.configUrl), {
          method: 'PATCH',
          headers: await asOperator(operator),
          body: JSON.stringify(switches),
        }),
      domainChanges: (domainId, expected) =>
        waitFor(
          async () => {
            const response = await fetch(new URL(`/v1/audit/domains/${domainId}/changes`, system.auditUrl), {
              headers: await asAuditor(),
            });
            const changes = (await json(response))['changes'] as Array<Record<string, unknown>> | undefined;
            return changes && changes.length >= expected ? changes : undefined;
          },
          { timeoutMs: 30_000, description: `${expected} recorded changes of domain ${domainId}` },
        ),
      operation: async (operationId) => {
        const response = await fetch(new URL(`/v1/operations/${operationId}`, system.gateUrl), {
          headers: { authorization: `Bearer ${await issuer.token('sspr-portal')}` },
        });
        return (await json(response)) as unknown as OperationView;
      },
      outcome: (operationId, timeoutMs = 60_000) =>
        waitFor(
          async () => {
            const response = await fetch(new URL(`/v1/operations/${operationId}?waitSeconds=5`, system.gateUrl), {
              headers: { authorization: `Bearer ${await issuer.token('sspr-portal')}` },
            });
            const view = (await json(response)) as unknown as OperationView;
            return ['applied', 'rejected', 'failed'].includes(view.status) ? view : undefined;
          },
          { timeoutMs, description: `operation ${operationId} to end` },
        ),
      auditHistory: (operationId, expectedEvents) =>
        waitFor(
          async () => {
            const response = await fetch(new URL(`/v1/audit/operations/${operationId}`, system.auditUrl), {
              headers: await asAuditor(),
            });
            if (!response.ok) return undefined;
            const events = (await json(response))['events'] as Array<Record<string, unknown>>;
            return events.length >= expectedEvents ? events : undefined;
          },
          { timeoutMs: 30_000, description: `${expectedEvents} audit records of ${operationId}` },
        ),
      restartPostgres: async () => {
        await postgres.stop();
        postgres = await startEmbeddedPostgres({ dataDir: join(workDir, 'postgres'), port: postgres.port });
      },
      logs: async (processName) => {
        const files = (await readdir(logDir)).filter((f) => !processName || processName.test(f));
        return (await Promise.all(files.map((f) => readFile(join(logDir, f), 'utf8')))).join('\n');
      },
      stop,
    };
    return fixture;
  } catch (error) {
    await stop();
    throw error;
  }
}
