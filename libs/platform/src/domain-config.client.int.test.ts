import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainConfigView } from '@writeback/contracts';
import { ConfigServiceUnavailable, DomainConfigClient } from './domain-config.client';

/** The client's cache against a real HTTP server standing in for config-service's list endpoint. */
describe('DomainConfigClient', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;
  let status = 200;
  let items: DomainConfigView[] = [];
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      authorizations.push(req.headers.authorization);
      // Answer a little later, so that callers arriving together overlap.
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items }));
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests = 0;
    status = 200;
    items = [];
    authorizations.length = 0;
  });

  it('sends one request for all the callers that find the cache stale at the same time', async () => {
    const client = new DomainConfigClient(baseUrl, 60_000);

    const lists = await Promise.all(Array.from({ length: 25 }, () => client.list()));

    expect(lists.every((l) => Array.isArray(l) && l.length === 0)).toBe(true);
    expect(requests).toBe(1);
    await client.list();
    expect(requests).toBe(1);
  });

  it('reuses a read until a change is announced, then reads again once, and never reuses a read begun before it', async () => {
    const client = new DomainConfigClient(baseUrl, 60_000);
    items = [domain('corp', 1)];
    await client.list();
    await client.list();
    expect(requests).toBe(1);

    const begunBefore = client.list();
    client.invalidate();
    items = [domain('corp', 2)];
    const after = await Promise.all([client.get('corp'), client.get('corp'), client.get('corp')]);
    await begunBefore;

    expect(after.map((d) => d?.version)).toEqual([2, 2, 2]);
    expect(requests).toBe(2);
    expect((await client.get('corp'))?.version).toBe(2);
    expect(requests).toBe(2);
  });

  it('reads a domain it does not hold, or holds older than asked, again before answering; a held one costs nothing', async () => {
    const client = new DomainConfigClient(baseUrl, 60_000);
    items = [domain('corp', 3)];
    await client.list();
    items = [domain('corp', 4), domain('branch', 1)];

    expect((await client.current('corp', 3))?.version).toBe(3);
    expect(requests).toBe(1);
    expect((await client.current('branch'))?.id).toBe('branch');
    expect(requests).toBe(2);
    items = [domain('corp', 5), domain('branch', 1)];
    expect((await client.current('corp', 5))?.version).toBe(5);
    expect(requests).toBe(3);
    expect(await client.current('gone')).toBeNull();
    expect(requests).toBe(4);
  });

  it('answers readAfter(mark) with a read begun after the mark, shared by all who wait on it', async () => {
    const client = new DomainConfigClient(baseUrl, 60_000);
    await client.list();
    const mark = client.mark();
    items = [domain('corp', 1)];

    const reads = await Promise.all(Array.from({ length: 10 }, () => client.readAfter(mark)));

    expect(reads.every((r) => r.length === 1)).toBe(true);
    expect(requests).toBe(2);
    // That read began after the mark: asked again for the same mark, it is reused.
    await client.readAfter(mark);
    expect(requests).toBe(2);
    expect(await client.list()).toHaveLength(1);
    expect(requests).toBe(2);
  });

  it('fails every waiting caller when config-service fails, and asks again on the next call', async () => {
    const client = new DomainConfigClient(baseUrl, 60_000);
    status = 503;

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.list()));

    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof ConfigServiceUnavailable)).toBe(true);
    expect(requests).toBe(1);
    status = 200;
    await expect(client.list()).resolves.toEqual([]);
    expect(requests).toBe(2);
  });

  it('reads with the token its file holds, read again on each request, and says so when it is refused', async () => {
    const tokenFile = join(await mkdtemp(join(tmpdir(), 'config-reader-')), 'token');
    await writeFile(tokenFile, 'first.token.value\n');
    const client = new DomainConfigClient(baseUrl, 0, tokenFile);
    await client.list();
    await writeFile(tokenFile, 'renewed.token.value');
    await client.list();
    expect(authorizations).toEqual(['Bearer first.token.value', 'Bearer renewed.token.value']);
    status = 403;
    await expect(client.list()).rejects.toThrow(
      'config-service answered 403: WRITEBACK_CONFIG_SERVICE_TOKEN_FILE must hold a valid token with the writeback.auditor scope',
    );
    await expect(new DomainConfigClient(baseUrl, 0, join(tokenFile, 'missing')).list()).rejects.toBeInstanceOf(
      ConfigServiceUnavailable,
    );
  });
});

function domain(id: string, version: number): DomainConfigView {
  return {
    id,
    displayName: id,
    ldapUrls: [`ldaps://dc1.${id}.example.test`],
    baseDn: `DC=${id},DC=example,DC=test`,
    upnSuffixes: [`${id}.example.test`],
    bindDn: `svc@${id}.example.test`,
    bindSecretRef: 'env:BIND',
    tlsCaPem: null,
    tlsServerName: null,
    publicKey: 'A'.repeat(43),
    writebackEnabled: true,
    engineOwnsDomain: true,
    allowUnlockWithoutReset: false,
    scimPush: 'off',
    policy: { refuse: [], allow: [], allowWidening: false },
    scope: { organizationalUnits: [], groups: [], ldapFilter: null, protectedGroups: [] },
    auditRetentionDays: null,
    keyId: `${id}-key`,
    version,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
}
