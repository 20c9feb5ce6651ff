import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigServiceUnavailable, DomainConfigClient } from './domain-config.client';

/** The client's cache against a real HTTP server standing in for config-service's list endpoint. */
describe('DomainConfigClient', () => {
  let server: Server;
  let baseUrl: string;
  let requests = 0;
  let status = 200;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
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
});
