import { executorTopic, Topics } from '@writeback/contracts';
import {
  canBind,
  forestUser,
  startWritebackFixture,
  testEnvironment,
  type ForestInfo,
  type Mode,
  waitFor,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset, databaseDump, kafkaRecords, leakForms } from './scenarios';

interface Case {
  forest: ForestInfo;
  sam: string;
  newPassword: string;
  operationId?: string;
}

/**
 * The foundation's acceptance scenarios, run unchanged in both modes: an administrator reset
 * in each of two disconnected forests lands on the right DC, an unroutable UPN is refused
 * before anything reaches a DC, a SCIM client's push makes the round trip through the executors,
 * and the password never shows in Kafka, the database or logs.
 */
export function describeWritebackScenarios(
  mode: Mode,
  users: { corp: string; fabrikam: string; corpSpare: string },
): void {
  describe(`writeback end to end (${mode})`, () => {
    const { forests } = testEnvironment();
    let fixture: WritebackFixture;
    const stamp = Date.now().toString(36);
    const cases: Case[] = [
      { forest: forests.corp, sam: users.corp, newPassword: `Corp-${mode}-${stamp}-Xy9!` },
      { forest: forests.fabrikam, sam: users.fabrikam, newPassword: `Fab-${mode}-${stamp}-Qz7!` },
    ];
    const unroutablePassword = `Nowhere-${mode}-${stamp}-Ab1!`;
    const delayedPassword = `Later-${mode}-${stamp}-Cd3!`;
    const scimPassword = `Scim-${mode}-${stamp}-Ef5!`;
    let unroutableId: string;

    beforeAll(async () => {
      fixture = await startWritebackFixture({ mode, forests: [forests.corp, forests.fabrikam] });
    });

    afterAll(async () => {
      await fixture?.stop();
    });

    it('applies an administrator reset in each forest to that forest only', async () => {
      for (const c of cases) {
        const user = forestUser(c.forest, c.sam);
        const { status, body } = await fixture.request(adminReset(user.upn, c.newPassword));
        expect(status).toBe(202);
        c.operationId = body['operationId'] as string;
      }
      for (const c of cases) {
        const user = forestUser(c.forest, c.sam);
        const view = await fixture.outcome(c.operationId as string);
        expect(view).toMatchObject({ status: 'applied', domainId: c.forest.name, reason: null });
        expect(await canBind(c.forest, user.upn, c.newPassword)).toBe(true);
        expect(await canBind(c.forest, user.upn, user.password)).toBe(false);
      }
      // The other forest never saw the password.
      const [corp, fabrikam] = cases as [Case, Case];
      expect(await canBind(forests.fabrikam, forestUser(forests.fabrikam, fabrikam.sam).upn, corp.newPassword)).toBe(
        false,
      );
    });

    it("takes a SCIM client's push: the user looked up through the executors, the password written", async () => {
      const corp = cases[0] as Case;
      const user = forestUser(corp.forest, corp.sam);
      await fixture.updateDomain('corp', { scimPush: 'admin-reset' });
      const token = await fixture.issuer.token('scim-connector', { scope: 'writeback.scim' });
      const scim = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
        const response = await fetch(new URL(`/scim/v2${path}`, fixture.system.gateUrl), {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(response.status).toBe(200);
        return (await response.json()) as Record<string, unknown>;
      };
      const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.upn}"`)}`);
      const [resource] = found['Resources'] as Array<{ id: string }>;
      await scim('PATCH', `/Users/${resource?.id ?? ''}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'password', value: scimPassword }],
      });
      expect(await canBind(corp.forest, user.upn, scimPassword)).toBe(true);
      expect(await canBind(corp.forest, user.upn, corp.newPassword)).toBe(false);
    });

    it('keeps the ordered event history of each operation in the audit service', async () => {
      for (const c of cases) {
        const events = await fixture.auditHistory(c.operationId as string, 3);
        expect(events.map((e) => e['type'])).toEqual([
          'PasswordChangeRequested',
          'WritebackApproved',
          'WritebackApplied',
        ]);
        for (const e of events) {
          expect(e).toMatchObject({ operationId: c.operationId, correlationId: c.operationId });
          expect(e['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
        }
        expect(events[0]?.['causationId']).toBeNull();
        expect(events[1]?.['causationId']).toBe(events[0]?.['eventId']);
        expect(events[2]?.['causationId']).not.toBeNull();
      }
    });

    it('rejects a UPN whose suffix matches no domain, before any executor sees it', async () => {
      const { status, body } = await fixture.request(adminReset('nobody@unknown.example.test', unroutablePassword));
      expect(status).toBe(202);
      unroutableId = body['operationId'] as string;
      const view = await fixture.outcome(unroutableId);
      expect(view).toMatchObject({ status: 'rejected', domainId: null, reason: { code: 'TARGET.NO_MATCHING_DOMAIN' } });
      const events = await fixture.auditHistory(unroutableId, 2);
      expect(events.map((e) => e['type'])).toEqual(['PasswordChangeRequested', 'WritebackRejected']);
      expect(events[1]?.['data']).toMatchObject({ stage: 'policy' });
      // The executors, the only writers to AD, never received it (but did log the others).
      const executorLogs = await fixture.logs(/executor/);
      expect(executorLogs).toContain((cases[0] as Case).operationId);
      expect(executorLogs).not.toContain(unroutableId);
      if (fixture.kafka) {
        const commands = await kafkaRecords(fixture.kafka, [executorTopic('corp'), executorTopic('fabrikam')]);
        expect(commands).toContain((cases[0] as Case).operationId);
        expect(commands).not.toContain(unroutableId);
      }
    });

    it('keeps an accepted request while no executor runs, and applies it when one returns', async () => {
      const executors = [...fixture.system.processes.keys()].filter((name) => name.includes('executor'));
      for (const name of executors) await fixture.system.processes.get(name)?.stop();
      const user = forestUser(forests.corp, users.corpSpare);
      const { status, body } = await fixture.request(adminReset(user.upn, delayedPassword));
      expect(status).toBe(202);
      const operationId = body['operationId'] as string;
      await waitFor(async () => (await fixture.operation(operationId)).status === 'approved', {
        timeoutMs: 30_000,
        description: 'the delayed operation to be approved',
      });
      expect(await canBind(forests.corp, user.upn, delayedPassword)).toBe(false);
      for (const name of executors) await fixture.system.restart(name);
      expect(await fixture.outcome(operationId)).toMatchObject({ status: 'applied', domainId: 'corp' });
      expect(await canBind(forests.corp, user.upn, delayedPassword)).toBe(true);
    });

    it('answers 400 with the reasons for a request that breaks the contract, never echoing the password', async () => {
      const password = `Echo-${mode}-${stamp}-Zq8!`;
      const { status, body } = await fixture.request({
        kind: 'admin-reset',
        channel: 'carrier-pigeon',
        target: { userPrincipalName: 'x' },
        newPassword: password,
      });
      expect(status).toBe(400);
      expect(JSON.stringify(body['issues'])).toContain('channel');
      expect(JSON.stringify(body['issues'])).toContain('initiator');
      for (const form of leakForms(password)) expect(JSON.stringify(body)).not.toContain(form);
      expect(await fixture.logs()).not.toContain(password);
    });

    it('never lets a password appear in Kafka records, database rows or service logs', async () => {
      const haystacks: Record<string, string> = {
        database: await databaseDump(fixture.databaseUrl),
        logs: await fixture.logs(),
      };
      if (fixture.kafka) {
        haystacks['kafka'] = await kafkaRecords(fixture.kafka, [
          Topics.events,
          Topics.deadLetters,
          Topics.lookups,
          executorTopic('corp'),
          executorTopic('fabrikam'),
        ]);
        expect(haystacks['kafka']).toContain(unroutableId);
      }
      expect(haystacks['database']).toContain(unroutableId);
      expect(haystacks['logs']).toContain(unroutableId);
      for (const password of [...cases.map((c) => c.newPassword), unroutablePassword, delayedPassword, scimPassword]) {
        for (const form of leakForms(password)) {
          for (const [where, text] of Object.entries(haystacks)) {
            expect({ where, found: text.includes(form) }).toEqual({ where, found: false });
          }
        }
      }
    });
  });
}
