import type { Command } from 'commander';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { Client } from 'ldapts';
import { Client as PgClient } from 'pg';
import type { DomainConfigView } from '@writeback/contracts';
import { missingEntries, probeDomainController, readPasswordPolicy, withDirectoryBind } from '@writeback/directory';
import { readKafkaConfig } from '@writeback/platform';
import { ExitCode, UsageError } from '../cli-errors';
import { errorMessage, type CliContext } from '../cli-context';
import { domainAccess } from '../domain-access';
import { DOMAIN_FLAGS } from '../domain-option';
import { resolveDatabaseUrl } from '../local-database';
import { table } from '../output';
import type { Endpoints } from '../services';
import {
  clockSkewFinding,
  doctorPassed,
  domainControllerFinding,
  type Finding,
  minimumPasswordAgeFinding,
  policyHintsFinding,
  runChecks,
  scopeFinding,
} from './doctor-checks';

async function serviceFindings(ctx: CliContext): Promise<Finding[]> {
  const services: Array<[string, keyof Endpoints]> = [
    ['config-service', 'configUrl'],
    ['policy-gate', 'gateUrl'],
    ['audit-service', 'auditUrl'],
  ];
  return Promise.all(
    services.map(async ([name, key]): Promise<Finding> => {
      const url = new URL('/health/ready', ctx.services.urls[key]);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        return {
          domain: null,
          check: name,
          status: response.ok ? 'pass' : 'fail',
          detail: `${url.origin}: ${response.ok ? 'ready' : `not ready (${response.status})`}`,
        };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
        return { domain: null, check: name, status: 'fail', detail: `${url.origin} unreachable (${cause})` };
      }
    }),
  );
}

async function kafkaFinding(env: NodeJS.ProcessEnv): Promise<Finding> {
  // The services' own client settings (TLS, SASL): a secured cluster is checked as they reach it.
  const config = readKafkaConfig('writeback-doctor', env);
  if (!config) {
    return {
      domain: null,
      check: 'kafka',
      status: 'skip',
      detail: 'WRITEBACK_KAFKA_BROKERS unset here (the embedded default uses PostgreSQL as its bus)',
    };
  }
  const { brokers, tls, sasl } = config;
  const admin = new Kafka({
    clientId: config.clientId,
    brokers,
    ...(tls ? { ssl: tls } : {}),
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
    connectionTimeout: 5000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { domain: null, check: 'kafka', status: 'pass', detail: `${cluster.brokers.length} brokers reachable` };
  } catch (error) {
    return { domain: null, check: 'kafka', status: 'fail', detail: `${brokers.join(',')}: ${errorMessage(error)}` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function databaseFinding(env: NodeJS.ProcessEnv): Promise<Finding> {
  let url: string;
  let from: string;
  try {
    ({ url, from } = await resolveDatabaseUrl(env));
  } catch (error) {
    const status = error instanceof UsageError ? 'skip' : 'fail';
    return { domain: null, check: 'database', status, detail: errorMessage(error) };
  }
  const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SHOW server_version');
    return {
      domain: null,
      check: 'database',
      status: 'pass',
      detail: `PostgreSQL ${rows[0]?.version ?? ''} (${from})`,
    };
  } catch (error) {
    return { domain: null, check: 'database', status: 'fail', detail: errorMessage(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function domainFindings(ctx: CliContext, domain: DomainConfigView): Promise<Finding[]> {
  const id = domain.id;
  let access;
  try {
    access = await domainAccess(ctx, id);
  } catch (error) {
    return [{ domain: id, check: 'service account password', status: 'fail', detail: errorMessage(error) }];
  }
  const findings: Finding[] = [];
  let reachable: (typeof access.endpoints)[number] | undefined;
  for (const endpoint of access.endpoints) {
    ctx.out.progress(`${id}: probing ${endpoint.url}`);
    const probe = await probeDomainController(endpoint, access.serviceAccount);
    findings.push(domainControllerFinding(id, probe, domain.tlsServerName));
    if (!probe.ok) continue;
    reachable ??= endpoint;
    findings.push(clockSkewFinding(id, endpoint.url, probe.clockSkewSeconds));
    findings.push(policyHintsFinding(id, endpoint.url, probe.policyHintsOid ?? null));
  }
  if (!reachable) {
    findings.push({ domain: id, check: 'domain checks', status: 'skip', detail: 'no DC reachable' });
    return findings;
  }
  const dc = reachable;
  const scopeDns = [...domain.scope.organizationalUnits, ...domain.scope.groups];
  const asServiceAccount = <T>(use: (client: Client) => Promise<T>): Promise<T> =>
    withDirectoryBind(dc, access.serviceAccount, use);
  findings.push(
    ...(await runChecks(
      id,
      [
        {
          check: 'minimum password age',
          run: async () =>
            minimumPasswordAgeFinding(
              id,
              (await asServiceAccount((client) => readPasswordPolicy(client, domain.baseDn))).minPwdAgeSeconds,
            ),
        },
        {
          check: 'scope objects',
          run: async () =>
            scopeFinding(id, scopeDns.length, await asServiceAccount((client) => missingEntries(client, scopeDns))),
        },
      ],
      errorMessage,
    )),
  );
  return findings;
}

export function registerDoctorCommand(program: Command, context: () => CliContext): void {
  program
    .command('doctor')
    .description(
      'check what writeback depends on: the services, Kafka and the database (when configured here), and per domain: LDAPS reachability and certificate trust, the service account bind, clock skew, policy hints, minimum password age, scope objects',
    )
    .option(DOMAIN_FLAGS, 'only this domain')
    .action((o: { domain?: string }) =>
      context().run(async () => {
        const ctx = context();
        ctx.out.progress('checking the services, Kafka and the database');
        const findings: Finding[] = [
          ...(await serviceFindings(ctx)),
          await kafkaFinding(ctx.env),
          await databaseFinding(ctx.env),
        ];
        const config = findings.find((f) => f.check === 'config-service');
        if (config?.status === 'pass') {
          const domains = o.domain
            ? [await ctx.services.config.getDomain(o.domain)]
            : await ctx.services.config.listDomains();
          for (const domain of domains) {
            findings.push(
              ...(await runChecks(
                domain.id,
                [{ check: 'domain checks', run: () => domainFindings(ctx, domain) }],
                errorMessage,
              )),
            );
          }
        }
        const passed = doctorPassed(findings);
        ctx.out.result({ ok: passed, findings }, () =>
          [
            table(
              ['domain', 'check', 'result', 'detail'],
              findings.map((f) => [f.domain ?? '-', f.check, f.status.toUpperCase(), f.detail]),
            ),
            passed ? 'doctor: no failures' : 'doctor: FAILURES above',
          ].join('\n'),
        );
        return passed ? ExitCode.OK : ExitCode.FAILED;
      }),
    );
}
