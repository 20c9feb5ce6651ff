import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigServiceUnavailable, DomainConfigClient } from './domain-config.client';

/** The client's cache against a real HTTP server standing in for config-service's list endpoint. */
describe('DomainConfigClient', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;
  let status = 200;
  const authorizations: Array<string | undefined> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      authorizations.push(req.headers.authorization);
      // Answer a little later, so that callers arriving together overlap.
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items: [] }));
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
