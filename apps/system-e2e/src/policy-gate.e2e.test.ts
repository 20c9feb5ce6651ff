import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { AUDIT_SCHEMA_FILE, CreateOperationRequest, envelope, executorTopic, Topics } from '@writeback/contracts';
import { decide, initialState } from '@writeback/domain';
import { createPrismaClient } from '@writeback/persistence';
import { eventMessage } from '@writeback/messaging';
import { DomainConfigClient } from '@writeback/platform';
import { seal, Secret } from '@writeback/sealing';
import { repositoryRoot } from '@writeback/supervisor';
import {
  canBind,
  forestUser,
  readUserAttributes,
  startWritebackFixture,
  testEnvironment,
  withLdapsBind,
  waitFor,
  type ForestInfo,
  type WritebackFixture,
} from '@writeback/testing';
import { Attribute, Change } from 'ldapts';
import { kafkaRecords } from './scenarios';

const run = promisify(execFile);
const ADMIN = { id: 'helpdesk-admin@cloud.example', isAdministrator: true };

/** A request body in the seed's terms. */
function body(
  kind: string,
  channel: string,
  initiator: { id: string; isAdministrator: boolean },
  target: { userPrincipalName: string; isAdministrator?: boolean },
  newPassword?: string,
): Record<string, unknown> {
  return { kind, channel, initiator, target, ...(newPassword ? { newPassword } : {}) };
}

async function setDomainAttribute(forest: ForestInfo, name: string, value: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, (client) =>
    client.modify(forest.baseDn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: name, values: [value] }) }),
    ]),
  );
}

async function setUserAttribute(forest: ForestInfo, dn: string, name: string, value: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, (client) =>
    client.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: name, values: [value] }) }),
    ]),
  );
}

/**
 * The policy gate's contract over the Kafka-protocol cluster and both Samba forests: the seed's
 * five validation scenarios for one user in each forest, one refusal per unsupported row, the
 * domain switches, scope, and authenticated callers.
 */
describe('policy gate (distributed, two forests)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;
  const users = { corp: forestUser(forests.corp, 'grace'), fabrikam: forestUser(forests.fabrikam, 'judy') };
  const current = { corp: users.corp.password, fabrikam: users.fabrikam.password };

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'distributed', forests: [forests.corp, forests.fabrikam] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function applied(request: Record<string, unknown>): Promise<string> {
    const { status, body: accepted } = await fixture.request(request);
    expect(status).toBe(202);
    // Decided where it was accepted: the answer already carries the policy's approval.
    expect(accepted).toMatchObject({ status: 'approved', reason: null });
    expect((accepted['history'] as Array<{ type: string }>).map((h) => h.type)).toEqual([
      'PasswordChangeRequested',
      'WritebackApproved',
    ]);
    const operationId = accepted['operationId'] as string;
    expect(await fixture.outcome(operationId)).toMatchObject({ status: 'applied', reason: null });
    return operationId;
  }

  describe.each(['corp', 'fabrikam'] as const)('validation scenarios in %s', (name) => {
    const forest = (): ForestInfo => forests[name];
    const user = users[name];
    const self = { id: user.upn, isAdministrator: false };
    const target = { userPrincipalName: user.upn };
    const next = (label: string): string => `${label}-${name}-${stamp}-Aa1!`;

    it('reset password from the sign-in page (SSPR)', async () => {
      const password = next('Sspr');
      await applied(body('self-service-reset', 'sspr-portal', self, target, password));
      expect(await canBind(forest(), user.upn, password)).toBe(true);
      expect(await canBind(forest(), user.upn, current[name])).toBe(false);
      current[name] = password;
    });

    it('force expired password change', async () => {
      await setUserAttribute(forest(), user.dn, 'pwdLastSet', '0');
      expect(await canBind(forest(), user.upn, current[name])).toBe(false);
      const password = next('Expired');
      await applied(body('forced-change', 'change-password-page', self, target, password));
      expect(await canBind(forest(), user.upn, password)).toBe(true);
      current[name] = password;
    });

    it('regular password change', async () => {
      const password = next('Regular');
      await applied(body('change', 'change-password-page', self, target, password));
      expect(await canBind(forest(), user.upn, password)).toBe(true);
      current[name] = password;
    });

    it('admin resets the user password (admin center or frontline portal)', async () => {
      const password = next('Admin');
      await applied(
        body('admin-reset', name === 'corp' ? 'admin-center' : 'frontline-portal', ADMIN, target, password),
      );
      expect(await canBind(forest(), user.upn, password)).toBe(true);
      current[name] = password;
    });

    it('self-service account unlock', async () => {
      await setDomainAttribute(forest(), 'lockoutThreshold', '3');
      try {
        for (let i = 0; i < 3; i++) await canBind(forest(), user.upn, `wrong-${i}`);
        expect(await canBind(forest(), user.upn, current[name])).toBe(false);
        await applied(body('unlock', 'sspr-portal', self, target));
        expect((await readUserAttributes(forest(), user.sam, ['lockoutTime']))['lockoutTime']).toBe('0');
        expect(await canBind(forest(), user.upn, current[name])).toBe(true);
      } finally {
        await setDomainAttribute(forest(), 'lockoutThreshold', '0');
      }
    });
  });

  describe('refuses every unsupported operation before any DC sees it', () => {
    const endUser = (): { id: string; isAdministrator: boolean } => ({ id: users.corp.upn, isAdministrator: false });
    const rows: Array<[string, () => Record<string, unknown>, string]> = [
      [
        'an end user resetting their own password with PowerShell',
        () =>
          body('self-service-reset', 'powershell', endUser(), { userPrincipalName: users.corp.upn }, 'Refused-1-Aa!'),
        'POLICY.SELF_RESET_VIA_POWERSHELL',
      ],
      [
        'an end user resetting their own password with the Graph API',
        () =>
          body('self-service-reset', 'graph-api', endUser(), { userPrincipalName: users.corp.upn }, 'Refused-2-Aa!'),
        'POLICY.SELF_RESET_VIA_GRAPH_API',
      ],
      [
        'an administrator resetting an end user with PowerShell',
        () => body('admin-reset', 'powershell', ADMIN, { userPrincipalName: users.corp.upn }, 'Refused-3-Aa!'),
        'POLICY.ADMIN_RESET_VIA_POWERSHELL',
      ],
      [
        'a reset from the Microsoft 365 admin center',
        () => body('admin-reset', 'm365-admin-center', ADMIN, { userPrincipalName: users.corp.upn }, 'Refused-4-Aa!'),
        'POLICY.RESET_VIA_M365_ADMIN_CENTER',
      ],
      [
        'an administrator resetting their own password with the reset tool',
        () =>
          body(
            'admin-reset',
            'admin-center',
            { id: users.corp.upn, isAdministrator: true },
            { userPrincipalName: users.corp.upn, isAdministrator: true },
            'Refused-5-Aa!',
          ),
        'POLICY.ADMIN_RESET_OF_OWN_PASSWORD',
      ],
      [
        "an administrator resetting another administrator's password",
        () =>
          body(
            'admin-reset',
            'admin-center',
            ADMIN,
            { userPrincipalName: users.corp.upn, isAdministrator: true },
            'Refused-6-Aa!',
          ),
        'POLICY.ADMIN_RESET_OF_ADMINISTRATOR',
      ],
    ];
    const refused: string[] = [];

    it.each(rows)('%s', async (_row, request, code) => {
      const { status, body: accepted } = await fixture.request(request());
      expect(status).toBe(202);
      // The refusal is in the answer itself, with its reason.
      expect(accepted).toMatchObject({ status: 'rejected', reason: { code } });
      const operationId = accepted['operationId'] as string;
      refused.push(operationId);
      expect(await fixture.outcome(operationId)).toMatchObject({ status: 'rejected', reason: { code } });
      const audit = await fixture.auditHistory(operationId, 2);
      expect(audit.map((e) => e['type'])).toEqual(['PasswordChangeRequested', 'WritebackRejected']);
      expect(audit[1]?.['data']).toMatchObject({ stage: 'policy', reason: { code } });
    });

    it('sent none of them to an executor, and the password still binds', async () => {
      expect(refused).toHaveLength(rows.length);
      const commands = await kafkaRecords(fixture.kafka!, [executorTopic('corp'), executorTopic('fabrikam')]);
      const executorLogs = await fixture.logs(/executor/);
      for (const id of refused) {
        expect(commands).not.toContain(id);
        expect(executorLogs).not.toContain(id);
      }
      expect(await canBind(forests.corp, users.corp.upn, current.corp)).toBe(true);
    });
  });

  it('turning writeback off for one domain refuses it while the other keeps working, and back on without a restart', async () => {
    const reset = (u: { upn: string }, password: string): Record<string, unknown> =>
      body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: u.upn }, password);
    const before = (await fixture.domainChanges('corp', 1)).length;
    // A caller's token (no operator scope) cannot touch the switches.
    const notOperator = await fetch(new URL('/v1/domains/corp/switches', fixture.system.configUrl), {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await fixture.issuer.token('sspr-portal')}`,
      },
      body: JSON.stringify({ writebackEnabled: false }),
    });
    expect(notOperator.status).toBe(403);
    expect((await fixture.setSwitches('corp', { writebackEnabled: false }, 'helpdesk-operator')).status).toBe(200);
    const off = await fixture.request(reset(users.corp, `Off-${stamp}-Aa1!`));
    expect(await fixture.outcome(off.body['operationId'] as string)).toMatchObject({
      status: 'rejected',
      reason: { code: 'POLICY.WRITEBACK_DISABLED' },
    });
    expect(await canBind(forests.corp, users.corp.upn, current.corp)).toBe(true);
    const other = `Other-${stamp}-Aa1!`;
    await applied(reset(users.fabrikam, other));
    current.fabrikam = other;

    expect((await fixture.setSwitches('corp', { writebackEnabled: true }, 'helpdesk-operator')).status).toBe(200);
    const on = `On-${stamp}-Aa1!`;
    await applied(reset(users.corp, on));
    expect(await canBind(forests.corp, users.corp.upn, on)).toBe(true);
    current.corp = on;

    // The audit trail says who switched what, from what to what.
    const changes = await fixture.domainChanges('corp', before + 2);
    const [switchedOff, switchedOn] = changes.slice(-2).map((c) => c['data']);
    expect(switchedOff).toMatchObject({
      action: 'updated',
      changedBy: { subject: 'helpdesk-operator', issuer: fixture.issuer.issuer },
      changedFields: ['writebackEnabled'],
      before: { writebackEnabled: true },
      after: { writebackEnabled: false },
    });
    expect(switchedOn).toMatchObject({ changedFields: ['writebackEnabled'], after: { writebackEnabled: true } });
  });

  it('leaves a domain owned by another engine alone (side by side), and takes it back', async () => {
    expect((await fixture.setSwitches('fabrikam', { engineOwnsDomain: false })).status).toBe(200);
    const password = `Elsewhere-${stamp}-Aa1!`;
    const request = body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: users.fabrikam.upn }, password);
    try {
      const { body: accepted } = await fixture.request(request);
      expect(await fixture.outcome(accepted['operationId'] as string)).toMatchObject({
        status: 'rejected',
        reason: { code: 'POLICY.DOMAIN_NOT_OWNED' },
      });
      expect(await canBind(forests.fabrikam, users.fabrikam.upn, password)).toBe(false);
    } finally {
      expect((await fixture.setSwitches('fabrikam', { engineOwnsDomain: true })).status).toBe(200);
    }
    await applied(request);
    current.fabrikam = password;
  });

  it("refuses channel scim on its own API: that channel is the SCIM endpoint's (docs/scim.md)", async () => {
    const upn = users.fabrikam.upn;
    expect((await fixture.setSwitches('fabrikam', { scimPush: 'admin-reset' })).status).toBe(200);
    try {
      const password = `ScimHere-${stamp}-Aa1!`;
      const client = { id: 'scim:okta-sync', isAdministrator: true };
      const refused = await fixture.request(body('admin-reset', 'scim', client, { userPrincipalName: upn }, password));
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body['issues'])).toContain('channel');
      expect(await canBind(forests.fabrikam, upn, password)).toBe(false);
    } finally {
      expect((await fixture.setSwitches('fabrikam', { scimPush: 'off' })).status).toBe(200);
    }
  });

  it('scopes by nested group membership', async () => {
    const corp = forests.corp;
    const outer = `CN=Writeback Users ${stamp},OU=Staff,${corp.baseDn}`;
    const inner = `CN=Helpdesk ${stamp},OU=Staff,${corp.baseDn}`;
    await withLdapsBind(corp, corp.admin.dn, corp.admin.password, async (client) => {
      await client.add(inner, {
        objectClass: ['top', 'group'],
        sAMAccountName: `helpdesk-${stamp}`,
        member: [users.corp.dn],
      });
      await client.add(outer, { objectClass: ['top', 'group'], sAMAccountName: `wbusers-${stamp}` });
    });
    const reset = (password: string): Record<string, unknown> =>
      body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: users.corp.upn }, password);
    try {
      await fixture.updateDomain('corp', { scope: { groups: [outer] } });
      const outside = await fixture.request(reset(`Grouped-${stamp}-Aa1!`));
      expect(await fixture.outcome(outside.body['operationId'] as string)).toMatchObject({
        status: 'rejected',
        reason: { code: 'SCOPE.USER_OUT_OF_SCOPE' },
      });
      await setUserAttribute(corp, outer, 'member', inner);
      const password = `Nested-${stamp}-Aa1!`;
      await applied(reset(password));
      expect(await canBind(corp, users.corp.upn, password)).toBe(true);
      current.corp = password;
    } finally {
      await fixture.updateDomain('corp', { scope: { groups: [] } });
    }
  });

  it('refuses a user outside the domain scope at the executor, before any write', async () => {
    const password = `Scoped-${stamp}-Aa1!`;
    await fixture.updateDomain('corp', { scope: { organizationalUnits: [`OU=Elsewhere,${forests.corp.baseDn}`] } });
    try {
      const { body: accepted } = await fixture.request(
        body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: users.corp.upn }, password),
      );
      const view = await fixture.outcome(accepted['operationId'] as string);
      expect(view).toMatchObject({ status: 'rejected', reason: { code: 'SCOPE.USER_OUT_OF_SCOPE' } });
      expect(await canBind(forests.corp, users.corp.upn, password)).toBe(false);
      expect(await canBind(forests.corp, users.corp.upn, current.corp)).toBe(true);
    } finally {
      await fixture.updateDomain('corp', { scope: { organizationalUnits: [] } });
    }
    await fixture.updateDomain('corp', {
      scope: { organizationalUnits: [`OU=Staff,${forests.corp.baseDn}`], ldapFilter: '(sAMAccountName=grace)' },
    });
    try {
      await applied(body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: users.corp.upn }, password));
      current.corp = password;
    } finally {
      await fixture.updateDomain('corp', { scope: { organizationalUnits: [] } });
    }
  });

  it('authenticates callers and records who called', async () => {
    const request = body(
      'admin-reset',
      'admin-center',
      ADMIN,
      { userPrincipalName: users.fabrikam.upn },
      `Auth-${stamp}-Aa1!`,
    );
    expect((await fixture.request(request, { token: null })).status).toBe(401);
    const wrongAudience = await fixture.issuer.token('sspr-portal', { audience: 'someone-else' });
    expect((await fixture.request(request, { token: wrongAudience })).status).toBe(401);
    const { status, body: accepted } = await fixture.request(request, { caller: 'admin-console' });
    expect(status).toBe(202);
    const operationId = accepted['operationId'] as string;
    expect(await fixture.outcome(operationId)).toMatchObject({
      status: 'applied',
      caller: { subject: 'admin-console', issuer: fixture.issuer.issuer },
    });
    const audit = await fixture.auditHistory(operationId, 3);
    expect(audit[0]?.['data']).toMatchObject({ caller: { subject: 'admin-console' } });
    current.fabrikam = `Auth-${stamp}-Aa1!`;
  });

  it('decides a request that a gate recorded without deciding it (a gate of the version before, in a rolling upgrade)', async () => {
    // Written as that version wrote an accepted request, in one transaction: the request event,
    // its projection, the sealed password, the deadline, and the event queued for the bus. The
    // running gate's relay publishes it; its consumer, which did not record it, decides it.
    const prisma = createPrismaClient(fixture.databaseUrl, { poolSize: 1 });
    try {
      const password = `Upgrade-${stamp}-Aa1!`;
      const { newPassword, ...request } = CreateOperationRequest.parse(
        body('admin-reset', 'admin-center', ADMIN, { userPrincipalName: users.corp.upn }, password),
      );
      const domain = await new DomainConfigClient(fixture.system.configUrl, 0, fixture.configReaderTokenFile).get(
        'corp',
      );
      const operationId = randomUUID();
      const caller = { subject: 'previous-gate', issuer: null };
      const [requested] = decide(
        {
          type: 'RequestWriteback',
          operationId,
          request,
          caller,
          routing: 'resolved',
          domainId: 'corp',
          now: new Date().toISOString(),
        },
        initialState(),
      ).map((e) => envelope(e, { correlationId: operationId }));
      if (!requested || !domain || newPassword === undefined) throw new Error('no request to record');
      const sealed = await seal(domain.publicKey, new Secret(newPassword), {
        operationId,
        domainId: 'corp',
        targetUpn: users.corp.upn,
      });
      const message = eventMessage(requested);
      await prisma.$transaction([
        prisma.operationEvent.create({
          data: {
            eventId: requested.eventId,
            operationId,
            sequence: 1,
            type: requested.type,
            payload: requested,
            occurredAt: new Date(requested.occurredAt),
          },
        }),
        prisma.operation.create({
          data: {
            id: operationId,
            status: 'requested',
            kind: request.kind,
            channel: request.channel,
            targetUpn: users.corp.upn,
            domainId: 'corp',
            initiator: request.initiator,
            caller,
            correlationId: operationId,
          },
        }),
        prisma.sealedCredential.create({
          data: { operationId, domainId: 'corp', keyId: sealed.keyId, sealed: JSON.stringify(sealed) },
        }),
        prisma.operationDeadline.create({ data: { operationId, deadline: new Date(Date.now() + 120_000) } }),
        prisma.outboxMessage.create({
          data: { producer: 'policy-gate', topic: message.topic, key: message.key, headers: {}, value: message.value },
        }),
      ]);
      expect(await fixture.outcome(operationId)).toMatchObject({ status: 'applied', reason: null });
      expect((await fixture.operation(operationId)).history.map((h) => h.type)).toEqual([
        'PasswordChangeRequested',
        'WritebackApproved',
        'WritebackApplied',
      ]);
      expect(await canBind(forests.corp, users.corp.upn, password)).toBe(true);
      current.corp = password;
    } finally {
      await prisma.$disconnect();
    }
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(new URL('/openapi.json', fixture.system.gateUrl));
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual([
      '/v1/operations',
      '/v1/operations/{operationId}',
      '/scim/v2/ServiceProviderConfig',
      '/scim/v2/ResourceTypes',
      '/scim/v2/ResourceTypes/{id}',
      '/scim/v2/Schemas',
      '/scim/v2/Schemas/{id}',
      '/scim/v2/Users',
      '/scim/v2/Users/{id}',
    ]);
  });

  it('publishes every audit record on the public topic, valid against the published schema', async () => {
    const schema = JSON.parse(
      readFileSync(join(repositoryRoot(), 'docs', 'asyncapi', AUDIT_SCHEMA_FILE), 'utf8'),
    ) as Record<string, unknown>;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const recorded = await fetch(new URL('/v1/audit/records?limit=500', fixture.system.auditUrl), {
      headers: {
        authorization: `Bearer ${await fixture.issuer.token('records-auditor', { scope: 'writeback.auditor' })}`,
      },
    });
    const { items } = (await recorded.json()) as { items: Array<{ recordId: string }> };
    const expected = new Set(items.map((r) => r.recordId));
    const seen = await waitFor(
      async () => {
        // Read with kcat (librdkafka), a client other than the project's own.
        const { stdout } = await run(
          'kcat',
          [
            '-b',
            fixture.kafka!.bootstrapServers.join(','),
            '-C',
            '-t',
            Topics.audit,
            '-o',
            'beginning',
            '-e',
            '-q',
            '-f',
            '%s\n',
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        const messages = stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { data: { recordId: string } });
        const ids = new Set(messages.map((m) => m.data.recordId));
        return [...expected].every((id) => ids.has(id)) ? messages : undefined;
      },
      { timeoutMs: 30_000, description: 'every audit record on the public topic' },
    );
    for (const message of seen) {
      expect({ valid: validate(message), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
    }
    expect(JSON.stringify(seen)).not.toMatch(/ciphertext|newPassword/);
    // Every record, not only the request's, names who caused it.
    expect(seen.filter((m) => (m.data as { caller?: unknown }).caller === null)).toEqual([]);
  });

  it("names who changed a domain's configuration, and its trace, on the public audit topic", async () => {
    const operator = `auditor-check-${stamp}`;
    expect((await fixture.setSwitches('fabrikam', { allowUnlockWithoutReset: false }, operator)).status).toBe(200);
    expect((await fixture.setSwitches('fabrikam', { allowUnlockWithoutReset: true })).status).toBe(200);
    type Message = { traceparent: string | null; data: Record<string, unknown> };
    const read = async (topic: string): Promise<Message[]> =>
      (await kafkaRecords(fixture.kafka!, [topic]))
        .split('\n')
        .filter((line) => line.includes(operator))
        .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Message);
    const [recorded] = await waitFor(
      async () => {
        const messages = await read(Topics.audit);
        return messages.length > 0 ? messages : undefined;
      },
      { timeoutMs: 30_000, description: `the audit record of ${operator}'s change` },
    );
    const [changed] = await read(Topics.config);
    expect(recorded?.data).toMatchObject({
      eventType: 'DomainConfigurationChanged',
      domainId: 'fabrikam',
      caller: { subject: operator, issuer: fixture.issuer.issuer },
    });
    const traceId = changed?.traceparent?.split('-')[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(recorded?.data['traceId']).toBe(traceId);
    expect(recorded?.traceparent?.split('-')[1]).toBe(traceId);
  });

  it('keeps lifecycle events free of sealed passwords', async () => {
    const events = await kafkaRecords(fixture.kafka!, [Topics.events]);
    expect(events).not.toContain('ciphertext');
  });
});
