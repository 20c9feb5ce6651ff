import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repositoryRoot } from '@writeback/supervisor';
import {
  canBind,
  forestUser,
  harnessFile,
  startWritebackFixture,
  testEnvironment,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset, databaseDump, leakForms } from './scenarios';

const run = promisify(execFile);

/** Every scope a caller can hold: the fuzzer must reach past authorization to the handlers. */
const ALL_SCOPES = 'writeback writeback.operator writeback.auditor writeback.scim';

/**
 * Each API against its own OpenAPI document, in this order: the gate first, while both domains
 * are as the fixture configured them; config-service last, because its fuzzing replaces, switches
 * off and deletes domains (examples and stateful links reach the configured ids), after which the
 * gate would only refuse.
 */
/**
 * Each API is fuzzed from a fixed seed (those of a clean run), so a run that fails fails again
 * the same way, in CI as on a laptop; `WRITEBACK_FUZZ_SEED=random` explores new cases instead,
 * and prints the seed of each run for replay.
 */
const APIS = [
  {
    name: 'policy-gate',
    url: (f: WritebackFixture) => f.system.gateUrl,
    seed: '46477635842449607857514623311025631644',
  },
  {
    name: 'audit-service',
    url: (f: WritebackFixture) => f.system.auditUrl,
    seed: '130438059273742952519297045786167793736',
  },
  {
    name: 'config-service',
    url: (f: WritebackFixture) => f.system.configUrl,
    seed: '73821648894118201750876735125024139068',
  },
] as const;
const RANDOM_SEED = process.env['WRITEBACK_FUZZ_SEED'] === 'random';

interface Interaction {
  response: { content?: { text?: string; encoding?: string } };
}

/**
 * schemathesis (tools/harness/ensure-schemathesis.sh) against the running system's three APIs:
 * no 5xx, every response as its document says, no submitted password in any response (checked by
 * the hooks' own check), log or database row. In embedded mode the bus is PostgreSQL, so the rows
 * hold every message that a Kafka topic would.
 */
describe('the APIs fuzzed from their OpenAPI documents (schemathesis, embedded)', () => {
  const { forests } = testEnvironment();
  const vera = forestUser(forests.corp, 'vera');
  const marker = `Fuzz-Marker-${randomBytes(6).toString('hex')}-Aa1!`;
  let fixture: WritebackFixture;
  let schemathesis: string;
  let workDir: string;
  let markerOperationId: string;
  const ledger = (): string => join(workDir, 'passwords.jsonl');

  beforeAll(async () => {
    const [installed, started] = await Promise.all([
      run('bash', [harnessFile('ensure-schemathesis.sh')], { timeout: 600_000 }),
      startWritebackFixture({ mode: 'embedded', forests: [forests.corp, forests.fabrikam] }),
    ]);
    schemathesis = installed.stdout.trim();
    fixture = started;
    // SCIM lookups and pushes reach the executors only for a domain that takes them (ADR 0023).
    await Promise.all(['corp', 'fabrikam'].map((id) => fixture.updateDomain(id, { scimPush: 'admin-reset' })));
    workDir = join(fixture.workDir, 'schemathesis');
    await mkdir(workDir);
    await writeFile(ledger(), `${JSON.stringify(marker)}\n`);
  }, 900_000);

  afterAll(async () => {
    await fixture?.stop();
  });

  it('writes a marker password through the whole system before the fuzzing', async () => {
    const { status, body } = await fixture.request(adminReset(vera.upn, marker));
    expect(status).toBe(202);
    markerOperationId = body['operationId'] as string;
    const outcome = await fixture.outcome(markerOperationId);
    expect(outcome.status).toBe('applied');
    await fixture.auditHistory(outcome.operationId, 3);
    expect(await canBind(forests.corp, vera.upn, marker)).toBe(true);
  });

  describe('what the fuzzer found, kept as cases of their own', () => {
    const operator = async (): Promise<Record<string, string>> => ({
      'content-type': 'application/json',
      authorization: `Bearer ${await fixture.issuer.token('fuzz-regressions', { scope: ALL_SCOPES })}`,
    });

    it.each(['31', '-1', 'abc'])('the gate refuses waitSeconds=%s with 400 instead of clamping it', async (wait) => {
      const { body } = await fixture.request(adminReset('someone@nowhere.example.test', marker));
      const response = await fetch(
        new URL(`/v1/operations/${String(body['operationId'])}?waitSeconds=${wait}`, fixture.system.gateUrl),
        { headers: await operator() },
      );
      expect(response.status).toBe(400);
    });

    it('a dead letter id past bigint is no dead letter (404), not a 500', async () => {
      const response = await fetch(
        new URL('/v1/dead-letters/174687607615204081337892864/replay', fixture.system.auditUrl),
        {
          method: 'POST',
          headers: await operator(),
        },
      );
      expect(response.status).toBe(404);
    });

    it.each(['after=99999999999999999999', 'after=x'])('dead letters refuse %s with 400', async (query) => {
      const response = await fetch(new URL(`/v1/dead-letters?${query}`, fixture.system.auditUrl), {
        headers: await operator(),
      });
      expect(response.status).toBe(400);
    });

    it('audit records take an ISO 8601 instant and refuse anything else with 400', async () => {
      const records = async (query: string): Promise<number> =>
        (await fetch(new URL(`/v1/audit/records?${query}`, fixture.system.auditUrl), { headers: await operator() }))
          .status;
      expect(await records('from=2026-01-01&to=2026-01-02T00:00:00%2B01:00')).toBe(200);
      expect(await records('to=')).toBe(400);
      expect(await records('cursor=9999999999999999999')).toBe(400);
    });

    it.each([
      ['DELETE', '/scim/v2/Users', 'GET, HEAD, POST'],
      ['PUT', '/scim/v2/Users', 'GET, HEAD, POST'],
      ['POST', `/scim/v2/Users/${randomUUID()}`, 'GET, HEAD, PUT, PATCH, DELETE'],
    ])('SCIM answers %s %s with 405 and Allow: %s, not 501', async (method, path, allow) => {
      const response = await fetch(new URL(path, fixture.system.gateUrl), { method, headers: await operator() });
      expect({ status: response.status, allow: response.headers.get('allow') }).toEqual({ status: 405, allow });
      expect(await response.json()).toMatchObject({ status: '405' });
    });

    it.each([
      ['PUT', '?attributes=9', { schemas: [], userName: 'someone' }],
      ['GET', '?excludedAttributes=9,userName', undefined],
      ['PATCH', '', { schemas: null, Operations: [{ op: 'add', path: '', value: null }] }],
      ['PATCH', '', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [null] }],
    ])('SCIM answers %s %s %j, which SCIMMY meets with a TypeError, with 400, not 500', async (method, query, body) => {
      const response = await fetch(new URL(`/scim/v2/Users/${randomUUID()}${query}`, fixture.system.gateUrl), {
        method,
        headers: await operator(),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(response.status).toBe(400);
    });

    it('a SCIM body that is not JSON is a SCIM error that quotes nothing of it', async () => {
      const password = `wbfz-not-json-${randomBytes(4).toString('hex')}`;
      await writeFile(ledger(), `${JSON.stringify(password)}\n`, { flag: 'a' });
      const response = await fetch(new URL(`/scim/v2/Users/${randomUUID()}`, fixture.system.gateUrl), {
        method: 'PUT',
        headers: { ...(await operator()), 'content-type': 'application/scim+json' },
        body: password,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/scim+json');
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '400',
        scimType: 'invalidSyntax',
        detail: 'the request body is not valid JSON',
      });
      expect(text).not.toContain(password);
    });

    it('a /v1 body that is not JSON is a 400 that quotes nothing of it', async () => {
      const password = `wbfz-bare-${randomBytes(4).toString('hex')}`;
      await writeFile(ledger(), `${JSON.stringify(password)}\n`, { flag: 'a' });
      const response = await fetch(new URL('/v1/operations', fixture.system.gateUrl), {
        method: 'POST',
        headers: await operator(),
        body: password,
      });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ message: 'the request body is not valid JSON' });
      expect(text).not.toContain(password.slice(0, 8));
    });

    it('a domain holding NUL is refused with 400 and stored nowhere', async () => {
      const response = await fetch(new URL('/v1/domains', fixture.system.configUrl), {
        method: 'POST',
        headers: await operator(),
        body: JSON.stringify({
          id: 'nul-domain',
          displayName: 'NUL',
          ldapUrls: ['ldaps://dc\u0000.nul.example.test'],
          baseDn: 'DC=nul,DC=example,DC=test',
          upnSuffixes: ['nul.example.test'],
          bindDn: 'svc@nul.example.test',
          bindSecretRef: 'env:NUL_BIND',
          publicKey: 'A'.repeat(43),
        }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ issues: [{ path: 'ldapUrls.0' }] });
      const stored = await fetch(new URL('/v1/domains/nul-domain', fixture.system.configUrl), {
        headers: await operator(),
      });
      expect(stored.status).toBe(404);
    });
  });

  it.each(APIS)('$name: schemathesis finds no failure', async ({ name, url, seed }) => {
    const token = await fixture.issuer.token('schemathesis', { scope: ALL_SCOPES, expiresIn: '30m' });
    // Each API's own settings, where it has any (openapi-fuzz.<api>.toml).
    const settings = join(__dirname, `openapi-fuzz.${name}.toml`);
    const args = [
      ...(existsSync(settings) ? [`--config-file=${settings}`] : []),
      'run',
      join(repositoryRoot(), 'docs/openapi', `${name}.json`),
      `--url=${url(fixture)}`,
      `--header=Authorization: Bearer ${token}`,
      '--checks=all',
      ...(RANDOM_SEED ? [] : [`--seed=${seed}`]),
      '--max-examples=20',
      '--workers=1',
      '--generation-database=none',
      '--request-timeout=40',
      '--no-color',
      '--report=har',
      `--report-har-path=${join(workDir, `${name}.har`)}`,
    ];
    const started = Date.now();
    const outcome = await run(schemathesis, args, {
      cwd: workDir,
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: join(__dirname, 'openapi-fuzz.hooks.py'),
        WRITEBACK_FUZZ_PASSWORDS: ledger(),
        WRITEBACK_FUZZ_OPERATION_ID: markerOperationId,
      },
    }).then(
      ({ stdout }) => {
        // The warnings and summary (phases, cases, seed) of a clean run, for whoever reads the test log.
        const warnings = stdout.lastIndexOf('=== WARNINGS ===');
        // Its pytest-style closing rule ("=== 1 warning in 6.67s ===") is left out: CI reads such a
        // line as a test runner's last word, and this one counts no test.
        const summary = stdout
          .slice(warnings >= 0 ? warnings : stdout.lastIndexOf('=== SUMMARY ==='))
          .split('\n')
          .filter((line) => !/^=+ .* in [\d.]+m?s =+$/.test(line.trim()))
          .join('\n');
        process.stdout.write(`schemathesis ${name}, ${Math.round((Date.now() - started) / 1000)} s: ${summary}\n`);
        return { exitCode: 0, report: '' };
      },
      // On a failure, schemathesis' own report (each case with its curl command) is the message.
      (error: { code?: number; stdout?: string; stderr?: string; message: string }) => ({
        exitCode: error.code ?? -1,
        report: `${error.stdout ?? ''}\n${error.stderr ?? error.message}`,
      }),
    );
    expect(outcome).toEqual({ exitCode: 0, report: '' });
  });

  it('leaves no submitted password in any response, log or database row', async () => {
    const passwords = (await readFile(ledger(), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string);
    // The marker and at least one generated password per run of the gate's create operation.
    expect(passwords.length).toBeGreaterThan(1);
    const responses: string[] = [];
    for (const { name } of APIS) {
      const har = JSON.parse(await readFile(join(workDir, `${name}.har`), 'utf8')) as {
        log: { entries: Interaction[] };
      };
      for (const { response } of har.log.entries) {
        const content = response.content ?? {};
        responses.push(
          content.encoding === 'base64'
            ? Buffer.from(content.text ?? '', 'base64').toString('utf8')
            : (content.text ?? ''),
        );
      }
    }
    expect(responses.length).toBeGreaterThan(APIS.length);
    const places = {
      responses: responses.join('\n'),
      logs: await fixture.logs(),
      rows: await databaseDump(fixture.databaseUrl),
    };
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      passwords.flatMap((password) =>
        leakForms(password)
          .filter((form) => text.includes(form))
          .map((form) => `${place}: ${JSON.stringify(password)} as ${JSON.stringify(form)}`),
      ),
    );
    expect(leaks).toEqual([]);
  });
});
