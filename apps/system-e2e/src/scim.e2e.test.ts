import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@writeback/supervisor';
import {
  canBind,
  forestUser,
  harnessFile,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  withLdapsBind,
  type ForestInfo,
  type WritebackFixture,
} from '@writeback/testing';
import { Attribute, Change } from 'ldapts';
import { Topics, executorTopic } from '@writeback/contracts';
import { databaseDump, kafkaRecords, leakForms } from './scenarios';

const run = promisify(execFile);
const SCIM_JSON = 'application/scim+json';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * SCIM 2.0 password push (ADR 0023) over Kafka and both Samba forests: a cloud identity service
 * looks a user up by userName, keeps the objectGUID it gets as the id, and pushes a password by
 * PATCH or PUT; what lands in AD is checked by binding, what is recorded by the audit trail.
 */
describe('SCIM password push (distributed, two forests)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  const token = randomBytes(32).toString('base64url');
  const users = { corp: forestUser(forests.corp, 'yara'), fabrikam: forestUser(forests.fabrikam, 'yusuf') };
  const current: Record<string, string> = { corp: users.corp.password, fabrikam: users.fabrikam.password };
  let fixture: WritebackFixture;
  let python: string;

  beforeAll(async () => {
    const clientsFile = join(testEnvironment().workDir, `scim-clients-${stamp}.json`);
    await writeFile(clientsFile, JSON.stringify([{ name: 'okta-test', sha256: sha256(token) }]), { mode: 0o600 });
    const [installed, started] = await Promise.all([
      run('bash', [harnessFile('ensure-scim2-tester.sh')], { timeout: 600_000 }),
      startWritebackFixture({
        mode: 'distributed',
        forests: [forests.corp, forests.fabrikam],
        // A silent domain is told in 2 s here (default 5 s).
        env: { WRITEBACK_SCIM_CLIENTS_FILE: clientsFile, WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS: '2000' },
      }),
    ]);
    python = installed.stdout.trim();
    fixture = started;
    // Only Staff is in corp's scope: ursula, in Isolated, is out of it.
    await fixture.updateDomain('corp', {
      scimPush: 'admin-reset',
      scope: { organizationalUnits: [`OU=Staff,${forests.corp.baseDn}`] },
    });
    await fixture.updateDomain('fabrikam', { scimPush: 'admin-reset' });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function scim(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<Answer> {
    const response = await fetch(new URL(`/scim/v2${path}`, fixture.system.gateUrl), {
      method,
      headers: {
        accept: SCIM_JSON,
        ...(body === undefined ? {} : { 'content-type': SCIM_JSON }),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: response.headers,
    };
  }

  const byUserName = (upn: string) => scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${upn}"`)}`);
  /** Every password this suite sends, for the leak check at its end. */
  const sent: string[] = [];
  const patchPassword = (id: string, password: string): Promise<Answer> => {
    sent.push(password);
    return scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'password', value: password }],
    });
  };

  async function idOf(upn: string): Promise<string> {
    const found = await byUserName(upn);
    expect(found.status).toBe(200);
    expect(found.headers.get('content-type')).toContain(SCIM_JSON);
    expect(found.body).toMatchObject({ totalResults: 1 });
    const [user] = found.body['Resources'] as Array<Record<string, unknown>>;
    expect(user).toMatchObject({ userName: upn, active: true });
    expect(user?.['password']).toBeUndefined();
    return user?.['id'] as string;
  }

  /** The newest operation for a user, as the gate's read API lists it. */
  async function latestOperation(upn: string): Promise<Record<string, unknown>> {
    const reader = await fixture.issuer.token('records-auditor', { scope: 'writeback.auditor' });
    const response = await fetch(
      new URL(`/v1/operations?targetUpn=${encodeURIComponent(upn)}&limit=1`, fixture.system.gateUrl),
      { headers: { authorization: `Bearer ${reader}` } },
    );
    const { items } = (await response.json()) as { items: Array<Record<string, unknown>> };
    expect(items.length).toBe(1);
    return items[0] as Record<string, unknown>;
  }

  describe.each(['corp', 'fabrikam'] as const)('in %s', (name) => {
    const forest = (): ForestInfo => forests[name];
    const user = users[name];

    it('finds the user by userName and by id, the id being its objectGUID', async () => {
      const id = await idOf(user.upn);
      expect(id).toMatch(GUID);
      const read = await scim('GET', `/Users/${id}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id,
        userName: user.upn,
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        meta: { resourceType: 'User' },
      });
      expect(await objectGuidOf(forest(), user.upn)).toBe(id);
    });

    it('applies a password pushed by PATCH, then by PUT, and audits the SCIM client as the caller', async () => {
      const id = await idOf(user.upn);
      const patched = `Scim-patch-${name}-${stamp}-Aa1!`;
      const afterPatch = await patchPassword(id, patched);
      expect(afterPatch.status).toBe(200);
      expect(afterPatch.body).toMatchObject({ id, userName: user.upn });
      expect(await canBind(forest(), user.upn, patched)).toBe(true);
      expect(await canBind(forest(), user.upn, current[name] as string)).toBe(false);
      current[name] = patched;

      const operation = await latestOperation(user.upn);
      expect(operation).toMatchObject({ status: 'applied', domainId: name, kind: 'admin-reset', channel: 'scim' });
      const records = await fixture.auditHistory(operation['operationId'] as string, 3);
      expect(records[1]).toMatchObject({
        type: 'WritebackApproved',
        data: { policyRule: 'scim-push-admin-reset', policyVersion: '2026-12-06.1' },
      });
      expect(records[0]).toMatchObject({
        type: 'PasswordChangeRequested',
        data: {
          caller: { subject: 'okta-test', issuer: 'writeback:scim-clients' },
          request: { channel: 'scim', kind: 'admin-reset', initiator: { id: 'scim:okta-test' } },
        },
      });

      const put = `Scim-put-${name}-${stamp}-Aa1!`;
      sent.push(put);
      const afterPut = await scim('PUT', `/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: user.upn,
        // Okta sends its own profile too: read-only here, so ignored (RFC 7644 §3.5.1).
        name: { givenName: 'Someone', familyName: 'Else' },
        password: put,
      });
      expect(afterPut.status).toBe(200);
      expect(await canBind(forest(), user.upn, put)).toBe(true);
      expect(await canBind(forest(), user.upn, patched)).toBe(false);
      current[name] = put;
    });

    it('answers a password the DC refuses with 400 invalidValue and the reason code', async () => {
      const id = await idOf(user.upn);
      const refused = await patchPassword(id, `S${name.slice(0, 2)}1!x`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
      expect(refused.body['detail']).toMatch(/^AD\.PASSWORD_POLICY: .* \(operation [0-9a-f-]{36}\)$/);
      expect(await canBind(forest(), user.upn, current[name] as string)).toBe(true);
    });
  });

  it('passes scim2-tester and check.py: discovery, lookups and a password PATCH and PUT in each forest, and the errors it expects', async () => {
    const password = `Scim-tester-${stamp}-Aa1!`;
    sent.push(password);
    const checked = await run(
      python,
      [
        join(repositoryRoot(), 'tools/scim/check.py'),
        new URL('/scim/v2', fixture.system.gateUrl).href,
        'SCIM_TOKEN',
        '--user-name',
        users.corp.upn,
        '--user-name',
        users.fabrikam.upn,
        '--password-env',
        'SCIM_PASSWORD',
      ],
      { env: { ...process.env, SCIM_TOKEN: token, SCIM_PASSWORD: password }, timeout: 120_000 },
    ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`scim2-tester failed:\n${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
    });
    const lines = checked.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^scim2-tester: \d+ passed, \d+ skipped, 0 failed$/);
    for (const name of ['corp', 'fabrikam'] as const) {
      expect(await canBind(forests[name], users[name].upn, password)).toBe(true);
      expect(await canBind(forests[name], users[name].upn, current[name] as string)).toBe(false);
      current[name] = password;
    }
  });

  it('shows no user out of scope, privileged or unknown: an empty list, and 404 by id', async () => {
    const outOfScope = forestUser(forests.corp, 'ursula').upn;
    for (const upn of [
      outOfScope,
      forests.corp.admin.upn,
      `nobody-${stamp}@${forests.corp.domainDnsName}`,
      'a@unrouted.test',
    ]) {
      const { status, body } = await byUserName(upn);
      expect({ upn, status, body }).toMatchObject({ upn, status: 200, body: { totalResults: 0, Resources: [] } });
    }
    const ursulaGuid = await objectGuidOf(forests.corp, outOfScope);
    expect((await scim('GET', `/Users/${ursulaGuid}`)).status).toBe(404);
    expect((await patchPassword(ursulaGuid, `Scim-out-${stamp}-Aa1!`)).status).toBe(404);
    expect((await scim('GET', '/Users/not-a-guid')).status).toBe(404);
  });

  it('refuses a push with the domain switch off, with its code, and writes nothing', async () => {
    const user = users.fabrikam;
    const id = await idOf(user.upn);
    await fixture.updateDomain('fabrikam', { scimPush: 'off' });
    try {
      const refused = await patchPassword(id, `Scim-off-${stamp}-Aa1!`);
      expect(refused.status).toBe(403);
      expect(refused.body['detail']).toMatch(/^POLICY\.SCIM_PUSH_DISABLED: /);
      expect(await latestOperation(user.upn)).toMatchObject({
        status: 'rejected',
        reason: { code: 'POLICY.SCIM_PUSH_DISABLED' },
      });
      expect(await canBind(forests.fabrikam, user.upn, current['fabrikam'] as string)).toBe(true);
      // With the switch off the domain is not asked at all: no lookup either.
      expect((await byUserName(user.upn)).body).toMatchObject({ totalResults: 0 });
    } finally {
      await fixture.updateDomain('fabrikam', { scimPush: 'admin-reset' });
    }
  });

  it('refuses other attributes, provisioning and bad requests with SCIM errors', async () => {
    const id = await idOf(users.corp.upn);
    const rename = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'name.givenName', value: 'Mallory' }],
    });
    expect(rename).toMatchObject({ status: 400, body: { scimType: 'mutability' } });
    const remove = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'password' }],
    });
    expect(remove).toMatchObject({ status: 400, body: { scimType: 'mutability' } });
    const create = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'x@y.z',
    });
    expect(create.status).toBe(501);
    expect(create.body['detail']).toMatch(/does not provision/);
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(501);
    expect((await scim('GET', '/Groups')).status).toBe(501);
    expect((await scim('GET', '/Users')).body).toMatchObject({ status: '400', scimType: 'tooMany' });
    const inFilter = `Filtered-${stamp}-Aa1!`;
    sent.push(inFilter);
    const badFilter = await scim('GET', `/Users?filter=${encodeURIComponent(`password eq "${inFilter}"`)}`);
    expect(badFilter.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    expect(JSON.stringify(badFilter.body)).not.toContain(inFilter);
    const badValue = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'password', value: { nested: inFilter } }],
    });
    expect(badValue.status).toBe(400);
    expect(JSON.stringify(badValue.body)).not.toContain(inFilter);
    expect((await scim('GET', `/Users/${id}`, undefined, null)).status).toBe(401);
    expect((await scim('GET', `/Users/${id}`, undefined, 'not-the-token')).status).toBe(401);
    expect((await scim('GET', '/ServiceProviderConfig', undefined, null)).body).toMatchObject({
      patch: { supported: true },
      changePassword: { supported: true },
      bulk: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      filter: { supported: true, maxResults: 200 },
    });
  });

  it('keeps the id when the user is renamed: a push by id lands on the renamed user', async () => {
    const user = users.corp;
    const id = await idOf(user.upn);
    const renamed = `yara-renamed-${stamp}@${forests.corp.domainDnsName}`;
    await setUpn(forests.corp, user.dn, renamed);
    try {
      const password = `Scim-renamed-${stamp}-Aa1!`;
      expect((await patchPassword(id, password)).status).toBe(200);
      expect(await canBind(forests.corp, renamed, password)).toBe(true);
      current['corp'] = password;
    } finally {
      await setUpn(forests.corp, user.dn, user.upn);
    }
  });

  it("answers 503 with Retry-After while a domain's executors are down, and finds the user again once one is back", async () => {
    await fixture.system.processes.get('executor-fabrikam')?.stop();
    try {
      const silent = await byUserName(users.fabrikam.upn);
      expect(silent.status).toBe(503);
      expect(silent.headers.get('retry-after')).toBe('5');
      expect(silent.body).toMatchObject({ schemas: [ERROR], status: '503' });
    } finally {
      await fixture.system.restart('executor-fabrikam');
    }
    await waitFor(async () => ((await byUserName(users.fabrikam.upn)).status === 200 ? true : undefined), {
      timeoutMs: 60_000,
      description: "fabrikam's executor answering lookups again",
    });
  });

  it('leaves no password it was sent in any log, row or Kafka record', async () => {
    expect(sent.length).toBeGreaterThanOrEqual(8);
    const kafka = fixture.kafka;
    if (!kafka) throw new Error('the distributed fixture has Kafka');
    const places = {
      logs: await fixture.logs(),
      database: await databaseDump(fixture.databaseUrl),
      kafka: await kafkaRecords(kafka, [
        Topics.events,
        Topics.audit,
        Topics.lookups,
        Topics.deadLetters,
        executorTopic('corp'),
        executorTopic('fabrikam'),
      ]),
    };
    expect(places.database).toContain('scim_identities');
    for (const password of sent) {
      for (const form of leakForms(password)) {
        for (const [where, text] of Object.entries(places)) {
          if (text.includes(form)) throw new Error(`SCIM password #${sent.indexOf(password)} is in the ${where}`);
        }
      }
    }
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The entry's objectGUID in AD's string form, read with the forest's admin. */
async function objectGuidOf(forest: ForestInfo, upn: string): Promise<string> {
  return withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client) => {
    const { searchEntries } = await client.search(forest.baseDn, {
      scope: 'sub',
      filter: `(userPrincipalName=${upn})`,
      attributes: ['objectGUID'],
      explicitBufferAttributes: ['objectGUID'],
    });
    const bytes = searchEntries[0]?.['objectGUID'];
    if (!Buffer.isBuffer(bytes)) throw new Error(`${upn} has no objectGUID`);
    const hex = bytes.toString('hex');
    const swap = (from: number, to: number): string => (hex.slice(from, to).match(/../g) ?? []).reverse().join('');
    return `${swap(0, 8)}-${swap(8, 12)}-${swap(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  });
}

async function setUpn(forest: ForestInfo, dn: string, upn: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, (client) =>
    client.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'userPrincipalName', values: [upn] }) }),
    ]),
  );
}
