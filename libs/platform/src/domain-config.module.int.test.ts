import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Topics } from '@writeback/contracts';
import { PostgresBus } from '@writeback/messaging';
import { createLogger } from '@writeback/observability';
import { startMigratedDatabase, waitFor, type MigratedDatabase } from '@writeback/testing';
import { DomainConfigClient } from './domain-config.client';
import { DomainConfigFollower, followerGroupId } from './domain-config.module';

jest.setTimeout(60_000);

const quiet = createLogger(
  'config-follower-test',
  new Writable({
    write: (_chunk, _encoding, done) => done(),
  }),
);

/**
 * Two replicas' followers on the embedded transport (a real PostgreSQL log) and a stand-in for
 * config-service's list: one change on the config topic reaches both, and each reads again.
 */
describe('DomainConfigFollower', () => {
  let database: MigratedDatabase;
  let bus: PostgresBus;
  let server: Server;
  let baseUrl: string;
  const reads = new Map<string, number>();

  beforeAll(async () => {
    database = await startMigratedDatabase('wb-config-follower');
    bus = new PostgresBus({ connectionString: database.connectionString, logger: quiet, pollIntervalMs: 200 });
    server = createServer((req, res) => {
      const replica = req.headers.authorization ?? 'none';
      reads.set(replica, (reads.get(replica) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await bus?.close();
    await database?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('names a group per process, so that no two replicas share one', () => {
    expect(followerGroupId('policy-gate')).toMatch(new RegExp(`^policy-gate\\.config-follower\\..+\\.${process.pid}$`));
  });

  it('makes every replica read again on a change, whatever the message says, and dead-letters nothing', async () => {
    const replicas = await Promise.all(
      ['gate-1', 'gate-2'].map(async (name) => {
        const tokenFile = await tokenFileFor(name);
        const client = new DomainConfigClient(baseUrl, 600_000, tokenFile);
        const follower = new DomainConfigFollower(bus, client, `config-follower-test.${name}`);
        await follower.onApplicationBootstrap();
        await client.list();
        return { name, client, follower };
      }),
    );
    const readsOf = (name: string): number => reads.get(`Bearer ${name}`) ?? 0;
    expect(replicas.map((r) => readsOf(r.name))).toEqual([1, 1]);

    await bus.publish([{ topic: Topics.config, key: 'corp', value: 'not even JSON' }]);

    await waitFor(
      async () => {
        for (const { client } of replicas) await client.list();
        return replicas.every((r) => readsOf(r.name) === 2);
      },
      { timeoutMs: 20_000, description: 'both replicas to read the configuration again' },
    );
    for (const { client } of replicas) await client.list();
    expect(replicas.map((r) => readsOf(r.name))).toEqual([2, 2]);
    await Promise.all(replicas.map((r) => r.follower.onApplicationShutdown()));
    expect(await database.prisma.busMessage.count({ where: { topic: Topics.deadLetters } })).toBe(0);
  });
});

async function tokenFileFor(name: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'config-follower-')), 'token');
  await writeFile(file, name);
  return file;
}
