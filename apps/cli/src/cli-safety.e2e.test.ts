import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from '@writeback/supervisor';
import { startWritebackFixture, testEnvironment, waitFor, type WritebackFixture } from '@writeback/testing';

const main = join(repositoryRoot(), 'apps/cli/dist/main.js');
const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A port nothing listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The CLI's guard rails against the real services of the embedded default: a bulk switch needs
 * an explicit --all and a confirmation, every change names its endpoint, and contexts choose the
 * endpoint with the environment and --context taking precedence as documented.
 */
describe('writeback CLI: bulk changes, endpoints and contexts (embedded default)', () => {
  const { forests } = testEnvironment();
  const xdg = mkdtempSync(join(tmpdir(), 'writeback-cli-xdg-'));
  let fixture: WritebackFixture;
  const token = (): Promise<string> => fixture.issuer.token('ops-carol', { scope: 'writeback.operator' });

  beforeAll(async () => {
    fixture = await startWritebackFixture({ mode: 'embedded', forests: [forests.corp, forests.fabrikam] });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  /** The CLI with the fixture's endpoints and token in the environment, unless `bare`. */
  async function cli(args: string[], env: Record<string, string> = {}, bare = false): Promise<Run> {
    const endpoints = bare ? {} : { WRITEBACK_CONFIG_URL: fixture.system.configUrl, WRITEBACK_TOKEN: await token() };
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [main, ...args],
        { env: { PATH: process.env['PATH'] ?? '', XDG_CONFIG_HOME: xdg, ...endpoints, ...env }, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  /** The CLI on a terminal (a pseudo-terminal from `script`), answering a prompt with `answer`. */
  async function cliOnTerminal(args: string[], answer: string): Promise<Run> {
    const command = [process.execPath, main, ...args].map(quote).join(' ');
    const env = {
      PATH: process.env['PATH'] ?? '',
      XDG_CONFIG_HOME: xdg,
      WRITEBACK_CONFIG_URL: fixture.system.configUrl,
      WRITEBACK_TOKEN: await token(),
    };
    return new Promise((resolve) => {
      const child = execFile(
        'script',
        ['-qec', command, '/dev/null'],
        { env, timeout: 60_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
      child.stdin?.end(`${answer}\n`);
    });
  }

  /** Each domain's writeback switch and version, read from config-service directly. */
  async function domains(): Promise<Record<string, { enabled: boolean; version: number }>> {
    const response = await fetch(new URL('/v1/domains', fixture.system.configUrl), {
      headers: { authorization: `Bearer ${await token()}` },
    });
    const { items } = (await response.json()) as {
      items: Array<{ id: string; writebackEnabled: boolean; version: number }>;
    };
    return Object.fromEntries(items.map((d) => [d.id, { enabled: d.writebackEnabled, version: d.version }]));
  }

  it('refuses enable and disable naming neither --domain nor --all: exit 2, nothing changed', async () => {
    const before = await domains();
    expect(Object.keys(before).sort()).toEqual(['corp', 'fabrikam']);
    const bare = await cli(['disable']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('name one domain with --domain <id>, or every domain with --all');
    const json = await cli(['--json', 'enable']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2 });
    expect((await cli(['disable', '--all', '--domain', 'corp'])).code).toBe(2);
    expect(await domains()).toEqual(before);
  });

  it('refuses --all without --yes when there is no terminal to ask on: exit 2, nothing changed', async () => {
    const before = await domains();
    const refused = await cli(['disable', '--all']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('confirm with --yes');
    expect(await domains()).toEqual(before);
  });

  it('changes every domain with --all --yes and names the endpoint it changed', async () => {
    const url = fixture.system.configUrl;
    const off = await cli(['--json', 'disable', '--all', '-y']);
    expect(off.code).toBe(0);
    expect(off.stderr).toContain(`writeback: changing config-service at ${url} (WRITEBACK_CONFIG_URL)`);
    const result = JSON.parse(off.stdout) as { endpoint: string; context: unknown; domains: Array<{ id: string }> };
    expect(result).toMatchObject({ endpoint: url, context: null });
    expect(result.domains.map((d) => d.id).sort()).toEqual(['corp', 'fabrikam']);
    expect(Object.values(await domains()).map((d) => d.enabled)).toEqual([false, false]);

    const on = await cli(['enable', '--all', '--yes']);
    expect(on.code).toBe(0);
    expect(on.stderr).toContain(`changing config-service at ${url}`);
    expect(Object.values(await domains()).map((d) => d.enabled)).toEqual([true, true]);
  });

  it('asks on a terminal before --all: anything but yes changes nothing (exit 1), yes changes every domain', async () => {
    const before = await domains();
    const declined = await cliOnTerminal(['disable', '--all'], 'n');
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain(
      `disable writeback for all 2 domains (corp, fabrikam) at ${fixture.system.configUrl}? [y/N]`,
    );
    expect(declined.stdout).toContain('nothing was changed');
    expect(await domains()).toEqual(before);

    const confirmed = await cliOnTerminal(['disable', '--all'], 'y');
    expect(confirmed.code).toBe(0);
    expect(Object.values(await domains()).map((d) => d.enabled)).toEqual([false, false]);
    expect((await cli(['enable', '--all', '--yes'])).code).toBe(0);
  });

  it('selects the endpoint and token from the current context; the environment wins over it, --context over both', async () => {
    const tokenFile = join(xdg, 'ops.token');
    await writeFile(tokenFile, await token(), { mode: 0o600 });
    const live = fixture.system.configUrl;
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const set = await cli(
      ['context', 'set', 'live', '--config-url', live, '--token-file', tokenFile, '--use'],
      {},
      true,
    );
    expect(set.code).toBe(0);
    expect((await cli(['context', 'set', 'dead', '--config-url', dead], {}, true)).code).toBe(0);

    const listed = await cli(['--json', 'domains', 'list'], {}, true);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((d) => d.id).sort()).toEqual(['corp', 'fabrikam']);

    const switched = await cli(['-j', 'switches', '-d', 'corp', '--allow-unlock-without-reset', 'off'], {}, true);
    expect(switched.code).toBe(0);
    expect(switched.stderr).toContain(`writeback: changing config-service at ${live} (context live)`);
    expect(JSON.parse(switched.stdout)).toMatchObject({ endpoint: live, context: 'live' });

    const chosen = await cli(['--context', 'dead', 'domains', 'list'], {}, true);
    expect(chosen.code).toBe(3);
    expect(chosen.stderr).toContain(dead);

    const fromEnv = await cli(['domains', 'list'], { WRITEBACK_CONFIG_URL: dead }, true);
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr).toContain(dead);

    const flagOverEnv = await cli(['--context', 'live', 'domains', 'list'], { WRITEBACK_CONFIG_URL: dead }, true);
    expect(flagOverEnv.code).toBe(0);
    const envOverContext = await cli(['-j', 'switches', '-d', 'corp', '--writeback', 'on'], {}, false);
    expect(envOverContext.stderr).toContain(
      `changing config-service at ${live} (WRITEBACK_CONFIG_URL, over context live)`,
    );
    expect(JSON.parse(envOverContext.stdout)).toMatchObject({ endpoint: live, context: null });

    expect((await cli(['context', 'set', 'live', '--token-env', 'OPS_TOKEN'], {}, true)).code).toBe(0);
    const viaVariable = await cli(['-q', 'enable', '-d', 'corp'], { OPS_TOKEN: await token() }, true);
    expect(viaVariable.code).toBe(0);
    const unset = await cli(['enable', '-d', 'corp'], {}, true);
    expect(unset.code).toBe(3);
    expect(unset.stderr).toContain('OPS_TOKEN');
  });

  it('takes the domain as --domain everywhere; the positional id of `domains` commands still works, deprecated', async () => {
    const flag = await cli(['--json', 'domains', 'show', '-d', 'corp']);
    expect(flag).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(flag.stdout)).toMatchObject({ id: 'corp' });
    const positional = await cli(['--json', 'domains', 'show', 'corp']);
    expect(positional.code).toBe(0);
    expect(JSON.parse(positional.stdout)).toMatchObject({ id: 'corp' });
    expect(positional.stderr).toContain('`domains show corp` is deprecated; use `domains show --domain corp`');
    expect((await cli(['domains', 'show', 'corp', '--domain', 'fabrikam'])).code).toBe(2);
    expect((await cli(['domains', 'history'])).code).toBe(2);
  });
  it('sets scimPush with `switches --scim-push`, shows it with the other switches, records it, and keeps it through PUT and POST', async () => {
    const headers = { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' };
    const corpUrl = new URL('/v1/domains/corp', fixture.system.configUrl);
    const read = async (url: URL = corpUrl): Promise<Record<string, unknown>> =>
      (await (await fetch(url, { headers })).json()) as Record<string, unknown>;
    expect(await read()).toMatchObject({ scimPush: 'off' });

    const set = await cli(['--json', 'switches', '-d', 'corp', '--scim-push', 'admin-reset']);
    expect(set.code).toBe(0);
    expect((JSON.parse(set.stdout) as { domains: unknown[] }).domains).toEqual([
      expect.objectContaining({ id: 'corp', scimPush: 'admin-reset', writebackEnabled: true }),
    ]);
    const asText = await cli(['switches', '-d', 'corp', '--scim-push', 'change']);
    expect(asText.code).toBe(0);
    expect(asText.stdout).toMatch(/SCIM push/);
    expect(asText.stdout).toMatch(/│ corp\s.*│ change\s/);
    expect((await cli(['domains', 'list'])).stdout).toMatch(/SCIM push[\s\S]*│ corp\s.*│ change\s/);
    expect((await cli(['domains', 'show', '-d', 'corp'])).stdout).toMatch(/SCIM push\s*│ change\s/);
    expect(await read()).toMatchObject({ scimPush: 'change' });

    // Another value: the CLI's bad usage, and config-service's own 400; nothing changes either way.
    const bad = await cli(['switches', '-d', 'corp', '--scim-push', 'on']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are off, change, admin-reset');
    const refused = await fetch(`${corpUrl.href}/switches`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ scimPush: 'admin_reset' }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      message: 'request does not match the API contract',
      issues: [expect.objectContaining({ path: 'scimPush' })],
    });
    expect(await read()).toMatchObject({ scimPush: 'change' });

    // The change history records the switch like any other, with who changed it.
    const history = await waitFor(
      async () => {
        const changes = (await fixture.domainChanges('corp', 1)).map((c) => c['data'] as Record<string, unknown>);
        const last = changes[changes.length - 1];
        return (last?.['after'] as { scimPush?: string } | undefined)?.scimPush === 'change' ? changes : undefined;
      },
      { timeoutMs: 30_000, description: "corp's scimPush change in the audit trail" },
    );
    expect(history.slice(-2)).toMatchObject([
      {
        changedFields: ['scimPush'],
        changedBy: { subject: 'ops-carol' },
        before: { scimPush: 'off' },
        after: { scimPush: 'admin-reset' },
      },
      { changedFields: ['scimPush'], before: { scimPush: 'admin-reset' }, after: { scimPush: 'change' } },
    ]);
    const shown = await cli(['domains', 'history', '-d', 'corp'], { WRITEBACK_AUDIT_URL: fixture.system.auditUrl });
    expect(shown.stdout).toContain('scimPush: admin-reset -> change');

    // A whole configuration keeps it too: PUT back to off, and POST a new domain with it on.
    await fixture.updateDomain('corp', { scimPush: 'off' });
    expect(await read()).toMatchObject({ scimPush: 'off' });
    const { keyId: _k, version: _v, createdAt: _c, updatedAt: _u, ...corp } = await read();
    const probe = { ...corp, id: 'scim-probe', upnSuffixes: ['scim-probe.example.test'], scimPush: 'admin-reset' };
    const created = await fetch(new URL('/v1/domains', fixture.system.configUrl), {
      method: 'POST',
      headers,
      body: JSON.stringify(probe),
    });
    expect(created.status).toBe(201);
    const probeUrl = new URL('/v1/domains/scim-probe', fixture.system.configUrl);
    try {
      expect(await created.json()).toMatchObject({ id: 'scim-probe', scimPush: 'admin-reset' });
      expect(await read(probeUrl)).toMatchObject({ scimPush: 'admin-reset' });
    } finally {
      expect((await fetch(probeUrl, { method: 'DELETE', headers })).status).toBe(204);
    }
  });
});
