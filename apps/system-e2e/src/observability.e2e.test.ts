import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { executorTopic, Topics } from '@writeback/contracts';
import {
  forestUser,
  parsePrometheusText,
  sampleValue,
  startJaeger,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  type Jaeger,
  type JaegerSpan,
  type Sample,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset, leakForms } from './scenarios';

const run = promisify(execFile);

/** A span as `service: name`, the way the chain assertions read. */
const label = (span: JaegerSpan): string => `${span.service}: ${span.name}`;

/** The span and its ancestors up to the root, root first; every parent must be in the trace. */
function lineage(spans: JaegerSpan[], leaf: JaegerSpan): JaegerSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain = [leaf];
  for (let current = leaf; current.parentSpanId;) {
    const parent = byId.get(current.parentSpanId);
    if (!parent) throw new Error(`the parent of ${label(current)} is not in the trace`);
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

/**
 * What an SRE sees of the system: one trace per writeback across the four services, read back
 * from a real Jaeger through its query API (the one its UI uses), Prometheus metrics on every
 * service, readiness that follows the real dependencies, and no password in any log line,
 * stored trace or metric.
 */
describe('observability (distributed)', () => {
  const { forests } = testEnvironment();
  const nina = forestUser(forests.corp, 'nina');
  const distinct = (): string => randomBytes(4).toString('hex');
  const passwords = {
    applied: `Traced-${distinct()}-Aa1!`,
    // Shorter than the domain's minimum (7): AD refuses it with a constraint violation.
    tooShort: `Q${distinct().slice(0, 2)}!#z`,
    // Characters that URL encoding and JSON escaping change, so those forms differ from the plain one.
    dcDown: `Unreached-${distinct()}-Aa1! "\\é&`,
    badRequest: `Malformed-${distinct()}-Aa1!`,
    // Pushed over SCIM (ADR 0023): by PATCH, by PUT, too short, in a value SCIM cannot take, in a filter.
    scimPatch: `Scim-patch-${distinct()}-Aa1! "\\é&`,
    scimPut: `Scim-put-${distinct()}-Aa1!`,
    scimTooShort: `S${distinct().slice(0, 2)}1!x`,
    scimMalformed: `Scim-nested-${distinct()}-Aa1!`,
    scimFilter: `Scim-filter-${distinct()}-Aa1!`,
  };
  const ids: Record<'applied' | 'tooShort' | 'dcDown' | 'scimPatch', string> = {
    applied: '',
    tooShort: '',
    dcDown: '',
    scimPatch: '',
  };
  const scimToken = randomBytes(32).toString('base64url');
  let jaeger: Jaeger;
  let fixture: WritebackFixture;
  let executorUrl: string;

  beforeAll(async () => {
    jaeger = await startJaeger();
    const clientsFile = join(testEnvironment().workDir, `scim-clients-observability-${distinct()}.json`);
    const sha256 = createHash('sha256').update(scimToken).digest('hex');
    await writeFile(clientsFile, JSON.stringify([{ name: 'okta-traced', sha256 }]), { mode: 0o600 });
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp],
      env: { ...jaeger.env, WRITEBACK_SCIM_CLIENTS_FILE: clientsFile },
    });
    executorUrl = fixture.system.processes.get('executor-corp')?.url ?? '';
  });

  afterAll(async () => {
    await fixture?.stop();
    await jaeger?.stop();
  });

  const serviceUrls = (): Record<string, string> => ({
    'policy-gate': fixture.system.gateUrl,
    'config-service': fixture.system.configUrl,
    'writeback-executor': executorUrl,
    'audit-service': fixture.system.auditUrl,
  });

  async function scrape(url: string): Promise<string> {
    const response = await fetch(new URL('/metrics', url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return response.text();
  }

  async function ended(body: Record<string, unknown>): Promise<{ operationId: string; status: string; code?: string }> {
    const { status, body: accepted } = await fixture.request(body);
    expect(status).toBe(202);
    const view = await fixture.outcome(accepted['operationId'] as string);
    return { operationId: view.operationId, status: view.status, ...(view.reason ? { code: view.reason.code } : {}) };
  }

  /**
   * The operation's trace as Jaeger shows it, found as an SRE would (the audit service's
   * `audit write` of `eventType`, by the operation id tag), once Jaeger holds the audit write and
   * every ancestor of every span in the trace.
   */
  async function traceOf(operationId: string, eventType: string): Promise<JaegerSpan[]> {
    const complete = (trace: JaegerSpan[]): boolean => {
      const spanIds = new Set(trace.map((s) => s.spanId));
      return trace.every((s) => !s.parentSpanId || spanIds.has(s.parentSpanId));
    };
    const found = await waitFor(
      async () => {
        const traces = await jaeger.searchTraces({
          service: 'audit-service',
          operation: 'audit write',
          tags: { 'writeback.operation_id': operationId, 'writeback.message.type': eventType },
        });
        return traces.length > 0 && traces.every(complete) && traces;
      },
      { timeoutMs: 30_000, description: `Jaeger to hold the trace of ${operationId} up to the audit of ${eventType}` },
    );
    expect(found).toHaveLength(1);
    return found[0] as JaegerSpan[];
  }

  /** Every trace Jaeger holds, of every service, as its query API answers: where a leak would show. */
  async function everyStoredTrace(): Promise<string> {
    const services = ['policy-gate', 'config-service', 'writeback-executor', 'audit-service'];
    return (await Promise.all(services.map((service) => jaeger.rawSearch({ service, limit: 10_000 })))).join('\n');
  }

  it('makes one writeback one trace: HTTP request, gate, bus, executor, LDAP modify, audit write', async () => {
    const outcome = await ended(adminReset(nina.upn, passwords.applied));
    expect(outcome).toMatchObject({ status: 'applied' });
    ids.applied = outcome.operationId;
    const trace = await traceOf(ids.applied, 'WritebackApplied');
    const roots = trace.filter((s) => !s.parentSpanId);
    expect(roots.map(label)).toHaveLength(1);
    const [root] = roots;

    // The operation id is a searchable tag in each service that acts on the operation, and
    // every span carrying it is in this one trace; all four services took part.
    const traceId = root?.traceId;
    for (const service of ['policy-gate', 'writeback-executor', 'audit-service']) {
      const found = await jaeger.searchTraces({ service, tags: { 'writeback.operation_id': ids.applied } });
      expect({ service, traces: found.map((t) => t[0]?.traceId) }).toEqual({ service, traces: [traceId] });
    }
    expect(new Set(trace.map((s) => s.service))).toEqual(
      new Set(['policy-gate', 'config-service', 'writeback-executor', 'audit-service']),
    );
    expect(root).toMatchObject({
      service: 'policy-gate',
      kind: 'server',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/v1/operations',
        'http.response.status_code': 202,
      },
    });

    const modify = trace.find((s) => s.name === 'LDAP modify' && s.attributes['ldap.attribute'] === 'unicodePwd');
    if (!modify) throw new Error('no LDAP modify span');
    expect(modify).toMatchObject({
      service: 'writeback-executor',
      kind: 'client',
      attributes: {
        'server.address': new URL(forests.corp.ldapsUrl).hostname,
        'ldap.operation': 'modify',
        'ldap.result_code': 0,
        'writeback.operation_id': ids.applied,
      },
    });
    const toModify = lineage(trace, modify).map(label);
    expect(toModify[0]).toBe(label(root as JaegerSpan));
    const executorTopicName = executorTopic('corp');
    expect(toModify.filter((l) => !/request handler|^policy-gate: POST/.test(l))).toEqual([
      'policy-gate: writeback accept',
      'policy-gate: writeback decide',
      `policy-gate: send ${executorTopicName}`,
      `writeback-executor: process ${executorTopicName}`,
      'writeback-executor: writeback apply',
      'writeback-executor: directory write',
      'writeback-executor: LDAP modify',
    ]);

    const auditWrite = trace.find(
      (s) => s.name === 'audit write' && s.attributes['writeback.message.type'] === 'WritebackApplied',
    );
    const toAudit = lineage(trace, auditWrite as JaegerSpan).map(label);
    expect(toAudit.slice(toAudit.indexOf('writeback-executor: writeback apply'))).toEqual([
      'writeback-executor: writeback apply',
      `writeback-executor: send ${Topics.events}`,
      `audit-service: process ${Topics.events}`,
      'audit-service: audit write',
    ]);
    expect(toAudit[0]).toBe(label(root as JaegerSpan));
    // The audit write's own database work, by the PostgreSQL instrumentation.
    expect(
      trace.some((s) => s.parentSpanId === auditWrite?.spanId && s.attributes['db.system.name'] === 'postgresql'),
    ).toBe(true);

    // Messaging spans follow the conventions; the consumer continues the producer's context.
    const send = trace.find((s) => s.name === `send ${executorTopicName}`) as JaegerSpan;
    const process = trace.find((s) => s.name === `process ${executorTopicName}`) as JaegerSpan;
    expect(send).toMatchObject({
      kind: 'producer',
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': executorTopicName,
        'writeback.operation_id': ids.applied,
      },
    });
    expect(process).toMatchObject({
      kind: 'consumer',
      parentSpanId: send.spanId,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.consumer.group.name': 'writeback-executor.corp.commands',
      },
    });

    // config-service served the gate's reads of the domain inside the same trace.
    const configRead = trace.find((s) => s.service === 'config-service' && s.kind === 'server');
    expect(configRead?.attributes['http.route']).toBe('/v1/domains');
    expect(lineage(trace, configRead as JaegerSpan)[0]).toBe(root);
  });

  it('names the operation and its trace in every log line about it', async () => {
    const lines = (await fixture.logs())
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const about = lines.filter((l) =>
      ['writeback requested', 'writeback decided', 'writeback finished'].includes(l['msg'] as string),
    );
    const mine = about.filter((l) => l['operationId'] === ids.applied);
    // One file per service: the lines come grouped by service, not in time order.
    expect(mine.map((l) => l['msg']).sort()).toEqual([
      'writeback decided',
      'writeback finished',
      'writeback requested',
    ]);
    const traceId = (await traceOf(ids.applied, 'WritebackApplied'))[0]?.traceId;
    for (const line of mine) expect(line['trace_id']).toBe(traceId);
    // No such line lacks its operation.
    expect(about.filter((l) => typeof l['operationId'] !== 'string')).toEqual([]);
  });

  it('refuses a password too short for the domain, and a request that breaks the contract', async () => {
    const outcome = await ended(adminReset(nina.upn, passwords.tooShort));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'AD.PASSWORD_POLICY' });
    ids.tooShort = outcome.operationId;
    const failed = (await fixture.logs(/executor/))
      .split('\n')
      .find((l) => l.includes('directory write failed') && l.includes(ids.tooShort));
    expect(failed).toContain('password is too short');

    const { status } = await fixture.request({
      ...adminReset(nina.upn, passwords.badRequest),
      channel: 'carrier-pigeon',
    });
    expect(status).toBe(400);
  });

  it('reports a domain whose DCs do not answer as not ready, retries, fails, and recovers', async () => {
    const ready = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(new URL('/health/ready', executorUrl));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: 'up', bus: 'up', 'directory:corp': 'up' } },
    });
    await fixture.updateDomain('corp', { ldapUrls: ['ldaps://127.0.0.99:636'] });
    try {
      expect(await ready()).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { database: 'up', bus: 'up', 'directory:corp': 'down' } },
      });
      // Liveness stays cheap: a DC outage is no reason to restart the executor.
      expect((await fetch(new URL('/health/live', executorUrl))).status).toBe(200);
      const outcome = await ended(adminReset(nina.upn, passwords.dcDown));
      expect(outcome).toMatchObject({ status: 'failed', code: 'AD.DC_UNAVAILABLE' });
      ids.dcDown = outcome.operationId;
      const down = parsePrometheusText(await scrape(executorUrl));
      expect(sampleValue(down, 'writeback_dc_up', { domain: 'corp', dc: '127.0.0.99' })).toBe(0);
    } finally {
      await fixture.updateDomain('corp', { ldapUrls: [forests.corp.ldapsUrl] });
    }
    expect((await ready()).status).toBe(200);
    // The removed DC's series is gone, so an alert on writeback_dc_up == 0 stops firing.
    const recovered = parsePrometheusText(await scrape(executorUrl));
    expect(sampleValue(recovered, 'writeback_dc_up', { domain: 'corp', dc: '127.0.0.99' })).toBeUndefined();
    expect(sampleValue(recovered, 'writeback_dc_up', { domain: 'corp', dc: forests.corp.ip })).toBe(1);
    for (const url of Object.values(serviceUrls())) {
      const response = await fetch(new URL('/health/ready', url));
      expect(await response.json()).toMatchObject({ status: 'ok', checks: { database: 'up', bus: 'up' } });
    }
  });

  it('dead-letters a message that breaks its contract', async () => {
    await run('sh', ['-c', 'printf "%s\\n" "not an event" | kcat -b "$BROKERS" -P -t "$TOPIC"'], {
      env: { ...process.env, BROKERS: fixture.kafka?.bootstrapServers.join(',') ?? '', TOPIC: Topics.events },
    });
    const counted = await waitFor(
      async () => {
        const [gate, audit] = await Promise.all([scrape(fixture.system.gateUrl), scrape(fixture.system.auditUrl)]);
        const dead = (text: string, group: string): number | undefined =>
          sampleValue(parsePrometheusText(text), 'writeback_dead_letters_total', { topic: Topics.events, group });
        return dead(gate, 'policy-gate.events') === 1 && dead(audit, 'audit-service.events') === 1;
      },
      { timeoutMs: 30_000, description: 'both consumers of the events topic to dead-letter the message' },
    );
    expect(counted).toBe(true);
  });

  it('exposes the counters and histograms SREs alert on, with their labels, on each service', async () => {
    const texts: Record<string, string> = {};
    for (const [service, url] of Object.entries(serviceUrls())) texts[service] = await scrape(url);
    const metrics = Object.fromEntries(
      Object.entries(texts).map(([service, text]) => [service, parsePrometheusText(text)]),
    );
    const gate = metrics['policy-gate'] as Sample[];
    const executor = metrics['writeback-executor'] as Sample[];
    const audit = metrics['audit-service'] as Sample[];
    const config = metrics['config-service'] as Sample[];
    const kind = 'admin-reset';

    expect(
      sampleValue(gate, 'writeback_operations_total', { kind, domain: 'corp', outcome: 'applied', reason: '' }),
    ).toBe(1);
    expect(
      sampleValue(gate, 'writeback_operations_total', {
        kind,
        domain: 'corp',
        outcome: 'rejected',
        reason: 'AD.PASSWORD_POLICY',
      }),
    ).toBe(1);
    expect(
      sampleValue(gate, 'writeback_operations_total', {
        kind,
        domain: 'corp',
        outcome: 'failed',
        reason: 'AD.DC_UNAVAILABLE',
      }),
    ).toBe(1);
    expect(
      sampleValue(gate, 'writeback_operation_duration_seconds_count', { kind, domain: 'corp', outcome: 'applied' }),
    ).toBe(1);
    expect(
      sampleValue(gate, 'writeback_operation_duration_seconds_bucket', {
        kind,
        domain: 'corp',
        outcome: 'applied',
        le: '+Inf',
      }),
    ).toBe(1);
    expect(sampleValue(gate, 'writeback_stage_duration_seconds_count', { stage: 'policy', domain: 'corp' })).toBe(3);
    expect(
      sampleValue(gate, 'writeback_http_server_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/operations',
        status_code: '202',
      }),
    ).toBe(3);
    expect(
      sampleValue(gate, 'writeback_http_server_request_duration_seconds_count', {
        route: '/v1/operations',
        status_code: '400',
      }),
    ).toBe(1);
    expect(
      sampleValue(gate, 'writeback_consumer_lag_messages', { topic: Topics.events, group: 'policy-gate.events' }),
    ).toBeDefined();
    expect(sampleValue(gate, 'writeback_messages_published_total', { topic: executorTopic('corp') })).toBe(3);

    expect(sampleValue(executor, 'writeback_stage_duration_seconds_count', { stage: 'dispatch', domain: 'corp' })).toBe(
      3,
    );
    expect(
      sampleValue(executor, 'writeback_stage_duration_seconds_count', { stage: 'directory', domain: 'corp' }),
    ).toBe(3);
    expect(
      sampleValue(executor, 'writeback_consumer_lag_messages', {
        topic: executorTopic('corp'),
        group: 'writeback-executor.corp.commands',
      }),
    ).toBe(0);
    expect(
      sampleValue(executor, 'writeback_directory_retries_total', { domain: 'corp', reason: 'AD.DC_UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(executor, 'writeback_ldap_errors_total', {
        domain: 'corp',
        dc: forests.corp.ip,
        operation: 'modify',
        result_code: '19',
        reason: 'AD.PASSWORD_POLICY',
      }),
    ).toBe(1);
    expect(
      sampleValue(executor, 'writeback_ldap_errors_total', {
        domain: 'corp',
        dc: '127.0.0.99',
        operation: 'bind',
        result_code: 'none',
        reason: 'AD.DC_UNAVAILABLE',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(executor, 'writeback_ldap_request_duration_seconds_count', {
        domain: 'corp',
        dc: forests.corp.ip,
        operation: 'modify',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(executor, 'writeback_dc_up', { domain: 'corp', dc: forests.corp.ip })).toBe(1);
    expect(sampleValue(executor, 'writeback_dc_up', { domain: 'corp', dc: '127.0.0.99' })).toBeUndefined();

    expect(
      sampleValue(audit, 'writeback_stage_duration_seconds_count', { stage: 'audit', domain: 'corp' }),
    ).toBeGreaterThanOrEqual(9);
    expect(
      sampleValue(audit, 'writeback_message_processing_duration_seconds_count', {
        topic: Topics.events,
        group: 'audit-service.events',
        result: 'dead_letter',
      }),
    ).toBe(1);
    expect(sampleValue(audit, 'writeback_messages_published_total', { topic: Topics.audit })).toBeGreaterThanOrEqual(9);
    expect(
      sampleValue(config, 'writeback_http_server_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/domains',
        status_code: '201',
      }),
    ).toBe(1);
    expect(sampleValue(config, 'writeback_messages_published_total', { topic: Topics.config })).toBeGreaterThanOrEqual(
      1,
    );
    for (const [service, samples] of Object.entries(metrics)) {
      expect({ service, process: samples.some((s) => s.name === 'process_resident_memory_bytes') }).toEqual({
        service,
        process: true,
      });
      // Declared in every service, so a rate() over it reads 0 before the first retry, not nothing.
      expect(texts[service]).toContain('# TYPE writeback_message_retries_total counter');
    }
  });

  /** A SCIM request with the static client token, its answer as text (where a leak would show too). */
  async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const response = await fetch(new URL(`/scim/v2${path}`, fixture.system.gateUrl), {
      method,
      headers: {
        authorization: `Bearer ${scimToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  }

  // After the metrics' counts above, which this adds to.
  it('traces a SCIM push in one trace, the lookups by the gate and the executor included, and refuses bad ones', async () => {
    await fixture.updateDomain('corp', { scimPush: 'admin-reset' });
    const filter = (expression: string): string => `/Users?filter=${encodeURIComponent(expression)}`;
    const found = await scim('GET', filter(`userName eq "${nina.upn}"`));
    expect(found.status).toBe(200);
    const id = (JSON.parse(found.text) as { Resources: Array<{ id: string }> }).Resources[0]?.id ?? '';
    const patchOp = (operation: Record<string, unknown>): Record<string, unknown> => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', ...operation }],
    });
    const answers = [
      await scim('PATCH', `/Users/${id}`, patchOp({ path: 'password', value: passwords.scimPatch })),
      await scim('PUT', `/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: nina.upn,
        password: passwords.scimPut,
      }),
      await scim('PUT', `/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: nina.upn,
        password: passwords.scimTooShort,
      }),
      await scim('PATCH', `/Users/${id}`, patchOp({ value: { nested: passwords.scimMalformed } })),
      await scim('GET', filter(`password eq "${passwords.scimFilter}"`)),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400, 400]);
    expect(answers[2]?.text).toContain('AD.PASSWORD_POLICY');

    const reader = await fixture.issuer.token('observability-auditor', { scope: 'writeback.auditor' });
    const listed = await fetch(
      new URL(`/v1/operations?targetUpn=${encodeURIComponent(nina.upn)}&limit=3`, fixture.system.gateUrl),
      { headers: { authorization: `Bearer ${reader}` } },
    );
    const { items } = (await listed.json()) as { items: Array<{ operationId: string; status: string }> };
    // Newest first: the PUT too short, the PUT, the PATCH.
    expect(items.map((i) => i.status)).toEqual(['rejected', 'applied', 'applied']);
    ids.scimPatch = items[2]?.operationId ?? '';

    const trace = await traceOf(ids.scimPatch, 'WritebackApplied');
    const [root, ...others] = trace.filter((s) => !s.parentSpanId);
    expect(others).toEqual([]);
    expect(root).toMatchObject({
      service: 'policy-gate',
      kind: 'server',
      attributes: { 'http.request.method': 'PATCH', 'http.route': '/scim/v2/Users/:id' },
    });
    const named = (service: string, name: string): JaegerSpan => {
      const span = trace.find((s) => s.service === service && s.name === name);
      if (!span) throw new Error(`no ${service}: ${name} in the trace of the SCIM push`);
      return span;
    };
    const executorTopicName = executorTopic('corp');
    // The gate's lookup by id reached the executor with its context: one trace from the request
    // through the lookup on both sides to the write.
    expect(lineage(trace, named('writeback-executor', 'writeback lookup')).map(label)).toEqual(
      expect.arrayContaining([
        label(root as JaegerSpan),
        'policy-gate: scim lookup',
        `policy-gate: send ${executorTopicName}`,
        `writeback-executor: process ${executorTopicName}`,
        'writeback-executor: writeback lookup',
      ]),
    );
    expect(named('policy-gate', 'scim lookup').attributes).toMatchObject({
      'writeback.domain': 'corp',
      'writeback.lookup.outcome': 'found',
    });
    expect(lineage(trace, named('writeback-executor', 'LDAP modify'))[0]).toBe(root);
    expect(named('writeback-executor', 'writeback apply').attributes['writeback.operation_id']).toBe(ids.scimPatch);
    for (const answer of answers) {
      for (const password of Object.values(passwords)) expect(answer.text).not.toContain(password);
    }
  });

  it('never lets a password appear in a log line, a trace Jaeger stored or a metric', async () => {
    // Every operation's spans up to its audit write have reached Jaeger before the search.
    await traceOf(ids.applied, 'WritebackApplied');
    await traceOf(ids.tooShort, 'WritebackRejected');
    await traceOf(ids.dcDown, 'WritebackFailed');
    await traceOf(ids.scimPatch, 'WritebackApplied');
    const metricsText = (await Promise.all(Object.values(serviceUrls()).map(scrape))).join('\n');
    const haystacks = { logs: await fixture.logs(), traces: await everyStoredTrace(), metrics: metricsText };
    // The haystacks hold this run's operations (metrics by design hold no ids, only counts).
    for (const id of Object.values(ids)) {
      expect(haystacks.logs).toContain(id);
      expect(haystacks.traces).toContain(id);
    }
    // Jaeger holds the request refused for breaking the contract too, whose body held a password.
    const refused = await jaeger.searchTraces({
      service: 'policy-gate',
      tags: { 'http.route': '/v1/operations', 'http.response.status_code': '400' },
    });
    expect(refused).toHaveLength(1);
    // And the SCIM lookup whose filter held a password: recorded, its query redacted whole.
    const filtered = await jaeger.searchTraces({
      service: 'policy-gate',
      tags: { 'http.route': '/scim/v2/Users', 'http.response.status_code': '400' },
    });
    const servers = filtered.flat().filter((s) => s.kind === 'server');
    expect(servers.map((s) => s.attributes['url.query'])).toEqual(['REDACTED']);
    expect(haystacks.logs).toContain('password is too short');
    expect(haystacks.metrics).toContain('AD.PASSWORD_POLICY');
    for (const password of Object.values(passwords)) {
      for (const form of leakForms(password)) {
        for (const [where, text] of Object.entries(haystacks)) {
          expect({ where, form, found: text.includes(form) }).toEqual({ where, form, found: false });
        }
      }
    }
  });
});
