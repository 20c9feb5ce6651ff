import { startWritebackFixture, testEnvironment, type WritebackFixture } from '@writeback/testing';
import { adminReset } from './scenarios';

interface Route {
  /** The concrete path to call, its parameters filled in. */
  path: string;
  body?: unknown;
  /** Scopes of which the token needs one; empty: any valid token. */
  scopes: string[];
  /** The answer with a token that may call it. */
  allowed: number;
}

const AUDITOR = 'writeback.auditor';
const OPERATOR = 'writeback.operator';
const READERS = [AUDITOR, OPERATOR];
const SCIM = 'writeback.scim';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const isScim = (template: string): boolean => template.startsWith('/scim/v2/');

/**
 * With authentication on, every route of the gate, config-service and the audit service (as
 * each one's OpenAPI document lists them) answers 401 without a token, 403 to a token without
 * the scope it needs, and lets a token with it through; only health, metrics and the OpenAPI
 * documents are open.
 */
describe('authorization of every route (embedded)', () => {
  const { forests } = testEnvironment();
  const domainId = 'authz-probe';
  let fixture: WritebackFixture;
  let operationId: string;
  let routes: Record<string, Route>;

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'embedded', forests: [forests.corp] });
    // An operation refused at the gate (no domain claims the suffix): something to read back.
    const { body } = await fixture.request(adminReset('someone@nowhere.example.test', 'Never-Applied-1!'));
    operationId = body['operationId'] as string;
    await fixture.auditHistory(operationId, 2);
    const corp = (await (
      await fetch(new URL('/v1/domains/corp', fixture.system.configUrl), { headers: await bearer(OPERATOR) })
    ).json()) as Record<string, unknown>;
    const { keyId: _k, version: _v, createdAt: _c, updatedAt: _u, ...config } = corp;
    const probe = { ...config, id: domainId, upnSuffixes: ['authz-probe.example.test'], writebackEnabled: false };
    // Keyed by operationId; listed in the order they run (the probe domain is added, then removed).
    routes = {
      createOperation: {
        path: '/v1/operations',
        body: adminReset('someone@nowhere.example.test', 'Never-Applied-1!'),
        scopes: [],
        allowed: 202,
      },
      getOperation: { path: `/v1/operations/${operationId}`, scopes: [], allowed: 200 },
      listOperations: { path: '/v1/operations?status=rejected', scopes: READERS, allowed: 200 },
      listDomains: { path: '/v1/domains', scopes: READERS, allowed: 200 },
      addDomain: { path: '/v1/domains', body: probe, scopes: [OPERATOR], allowed: 201 },
      getDomain: { path: `/v1/domains/${domainId}`, scopes: READERS, allowed: 200 },
      replaceDomain: {
        path: `/v1/domains/${domainId}`,
        body: { ...probe, displayName: 'Authorization probe' },
        scopes: [OPERATOR],
        allowed: 200,
      },
      setDomainSwitches: {
        path: `/v1/domains/${domainId}/switches`,
        body: { allowUnlockWithoutReset: true },
        scopes: [OPERATOR],
        allowed: 200,
      },
      removeDomain: { path: `/v1/domains/${domainId}`, scopes: [OPERATOR], allowed: 204 },
      queryAuditRecords: { path: '/v1/audit/records?format=csv', scopes: READERS, allowed: 200 },
      getOperationHistory: { path: `/v1/audit/operations/${operationId}`, scopes: READERS, allowed: 200 },
      getDomainChanges: { path: '/v1/audit/domains/corp/changes', scopes: READERS, allowed: 200 },
      runRetention: { path: '/v1/audit/retention/run', body: {}, scopes: [OPERATOR], allowed: 200 },
      listDeadLetters: { path: '/v1/dead-letters', scopes: [OPERATOR], allowed: 200 },
      // No dead letter exists: past the guard, the answer is the route's own 404.
      replayDeadLetter: { path: '/v1/dead-letters/999999/replay', scopes: [OPERATOR], allowed: 404 },
    };
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function bearer(scope: string): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await fixture.issuer.token(`holder-of-${scope}`, { scope })}` };
  }

  const services = (): Array<[string, string]> => [
    ['policy-gate', fixture.system.gateUrl],
    ['config-service', fixture.system.configUrl],
    ['audit-service', fixture.system.auditUrl],
  ];

  /** Every operation each service's OpenAPI document lists: method, path template and id. */
  async function documentedOperations(): Promise<
    Array<{ base: string; method: string; template: string; id: string }>
  > {
    const operations = [];
    for (const [, base] of services()) {
      const document = (await (await fetch(new URL('/openapi.json', base))).json()) as {
        paths: Record<string, Record<string, { operationId: string }>>;
      };
      for (const [template, methods] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          // A path item also holds the parameters its operations share.
          if (!HTTP_METHODS.includes(method)) continue;
          operations.push({ base, method: method.toUpperCase(), template, id: operation.operationId });
        }
      }
    }
    return operations;
  }

  async function call(
    base: string,
    method: string,
    route: Route,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(new URL(route.path, base), {
      method,
      headers: { ...headers, ...(route.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    });
    return { status: response.status, text: await response.text() };
  }

  it('answers 401 without a token, 403 without the scope, and lets the scope through, on every route', async () => {
    // SCIM's routes answer SCIM errors and take SCIM tokens: the next test.
    const operations = (await documentedOperations()).filter((o) => !isScim(o.template));
    expect(operations.map((o) => o.id).sort()).toEqual(Object.keys(routes).sort());
    const seen: string[] = [];
    const refusals: Array<[string, string]> = [];
    const byOrder = Object.keys(routes).map((id) => operations.find((o) => o.id === id) as (typeof operations)[number]);
    for (const { base, method, template, id } of byOrder) {
      const route = routes[id] as Route;
      const label = `${method} ${template}`;
      const anonymous = await call(base, method, route, {});
      const wrongScope = await call(base, method, route, await bearer('writeback'));
      const auditor = route.scopes.includes(AUDITOR) ? await call(base, method, route, await bearer(AUDITOR)) : null;
      const notAuditor =
        route.scopes.length > 0 && !route.scopes.includes(AUDITOR)
          ? await call(base, method, route, await bearer(AUDITOR))
          : null;
      const granted = await call(base, method, route, await bearer(route.scopes.at(-1) ?? 'writeback'));
      seen.push(
        [
          label,
          anonymous.status,
          route.scopes.length > 0 ? wrongScope.status : 'any token',
          auditor?.status ?? '-',
          notAuditor?.status ?? '-',
          granted.status,
        ].join(' '),
      );
      expect(JSON.parse(anonymous.text)).toMatchObject({ statusCode: 401 });
      if (route.scopes.length > 0) refusals.push([label, (JSON.parse(wrongScope.text) as { message: string }).message]);
    }
    expect(seen).toEqual(
      byOrder.map(({ method, template, id }) => {
        const route = routes[id] as Route;
        return [
          `${method} ${template}`,
          401,
          route.scopes.length > 0 ? 403 : 'any token',
          route.scopes.includes(AUDITOR) ? route.allowed : '-',
          route.scopes.length > 0 && !route.scopes.includes(AUDITOR) ? 403 : '-',
          route.allowed,
        ].join(' ');
      }),
    );
    // A 403 says which scope would do.
    expect(refusals).toEqual(
      byOrder
        .filter(({ id }) => (routes[id] as Route).scopes.length > 0)
        .map(({ method, template, id }) => [
          `${method} ${template}`,
          `the token lacks scope ${(routes[id] as Route).scopes.join(' or ')}`,
        ]),
    );
  });

  it('guards the SCIM users with writeback.scim (SCIM errors), and leaves SCIM discovery open', async () => {
    const unknownGuid = '00000000-0000-4000-8000-000000000000';
    const patch = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'password', value: 'Never-Applied-1!' }],
    };
    const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a@corp.example.test' };
    // Past the guard: no domain takes SCIM pushes here, so no user is found.
    const scimRoutes: Record<string, { path: string; body?: unknown; allowed: number }> = {
      scimServiceProviderConfig: { path: '/scim/v2/ServiceProviderConfig', allowed: 200 },
      scimResourceTypes: { path: '/scim/v2/ResourceTypes', allowed: 200 },
      scimResourceType: { path: '/scim/v2/ResourceTypes/User', allowed: 200 },
      scimSchemas: { path: '/scim/v2/Schemas', allowed: 200 },
      scimSchema: { path: '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', allowed: 200 },
      scimListUsers: {
        path: `/scim/v2/Users?filter=${encodeURIComponent('userName eq "a@corp.example.test"')}`,
        allowed: 200,
      },
      scimCreateUser: { path: '/scim/v2/Users', body: user, allowed: 501 },
      scimGetUser: { path: `/scim/v2/Users/${unknownGuid}`, allowed: 404 },
      scimReplaceUser: { path: `/scim/v2/Users/${unknownGuid}`, body: user, allowed: 404 },
      scimPatchUser: { path: `/scim/v2/Users/${unknownGuid}`, body: patch, allowed: 404 },
      scimDeleteUser: { path: `/scim/v2/Users/${unknownGuid}`, allowed: 501 },
    };
    const operations = (await documentedOperations()).filter((o) => isScim(o.template));
    expect(operations.map((o) => o.id).sort()).toEqual(Object.keys(scimRoutes).sort());
    const seen: string[] = [];
    for (const { base, method, template, id } of operations) {
      const route = { ...(scimRoutes[id] as { path: string; body?: unknown; allowed: number }), scopes: [SCIM] };
      const anonymous = await call(base, method, route, {});
      const wrongScope = await call(base, method, route, await bearer(OPERATOR));
      const granted = await call(base, method, route, await bearer(SCIM));
      // A refusal is a SCIM error (`status` a string); discovery's bodies have no `status`.
      const refusal = (JSON.parse(anonymous.text) as { status?: string }).status ?? '-';
      seen.push(`${method} ${template} ${anonymous.status} ${refusal} ${wrongScope.status} ${granted.status}`);
    }
    expect(seen).toEqual(
      operations.map(({ method, template, id }) => {
        const { allowed } = scimRoutes[id] as { allowed: number };
        const open = !template.startsWith('/scim/v2/Users');
        return `${method} ${template} ${open ? allowed : 401} ${open ? '-' : '401'} ${open ? allowed : 403} ${allowed}`;
      }),
    );
  });

  it('leaves health, metrics and the OpenAPI documents open', async () => {
    for (const [name, base] of services()) {
      for (const path of ['/health/live', '/health/ready', '/metrics', '/openapi.json']) {
        expect(`${name} ${path} ${(await fetch(new URL(path, base))).status}`).toBe(`${name} ${path} 200`);
      }
    }
  });
});
