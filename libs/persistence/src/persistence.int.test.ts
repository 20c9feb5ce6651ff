import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import {
  applyMigrations,
  createPrismaClient,
  defaultMigrationsDir,
  migrationChecksum,
  readMigrations,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from './index';

jest.setTimeout(60_000);

const OPERATION_ID = 'c3b7a0a2-1f0e-4f4b-8d6b-2a9c1e5d7f80';
const EVENT_ID = '6f1c1d9e-4a43-4a8e-9a1e-0c7b1f1d2e3a';

async function query<T extends Record<string, unknown>>(connectionString: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('@writeback/persistence against embedded PostgreSQL', () => {
  let dataDir: string;
  let pg: EmbeddedPostgresHandle | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'wb-persistence-'));
    pg = await startEmbeddedPostgres({ dataDir });
  });

  afterAll(async () => {
    await pg?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function conn(): string {
    if (!pg) throw new Error('embedded PostgreSQL not started');
    return pg.connectionString;
  }

  it('keeps a generated local password in the data directory, readable by its owner only', () => {
    const file = path.join(dataDir, 'password');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(conn()).toContain(encodeURIComponent(readFileSync(file, 'utf8').trim()));
  });

  it('applies the migrations once, recording them as Prisma does', async () => {
    const migrations = await readMigrations(defaultMigrationsDir());
    expect(migrations.length).toBeGreaterThan(0);

    const first = await applyMigrations(conn());
    expect(first.applied).toEqual(migrations.map((m) => m.name));

    const second = await applyMigrations(conn());
    expect(second.applied).toEqual([]);

    const concurrent = await Promise.all([applyMigrations(conn()), applyMigrations(conn())]);
    expect(concurrent.map((r) => r.applied)).toEqual([[], []]);

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
      logs: string | null;
    }>(conn(), 'SELECT * FROM "_prisma_migrations" ORDER BY started_at');
    expect(rows).toHaveLength(migrations.length);
    rows.forEach((row, i) => {
      const migration = migrations[i]!;
      expect(row.migration_name).toBe(migration.name);
      expect(row.checksum).toBe(
        migrationChecksum(readFileSync(path.join(defaultMigrationsDir(), migration.name, 'migration.sql'), 'utf8')),
      );
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
    });
  });

  it('refuses to continue when an applied migration was edited', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'wb-migrations-'));
    try {
      cpSync(defaultMigrationsDir(), copy, { recursive: true });
      const [first] = await readMigrations(copy);
      writeFileSync(path.join(copy, first!.name, 'migration.sql'), first!.sql + '\n-- edited\n');
      await expect(applyMigrations(conn(), { migrationsDir: copy })).rejects.toThrow(
        /was modified after it was applied/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('creates, reads and updates rows through the Prisma client', async () => {
    const prisma = createPrismaClient(conn());
    try {
      const created = await prisma.domain.create({
        data: {
          id: 'corp',
          displayName: 'Corp',
          ldapUrls: ['ldaps://127.0.0.11:636'],
          baseDn: 'DC=corp,DC=example,DC=test',
          upnSuffixes: ['corp.example.test'],
          bindDn: 'svc-writeback@corp.example.test',
          bindSecretRef: 'env:CORP_BIND_PASSWORD',
          publicKey: 'cHVibGljLWtleQ',
          keyId: 'k1',
        },
      });
      expect(created).toMatchObject({ writebackEnabled: true, version: 1, tlsCaPem: null });

      const updated = await prisma.domain.update({
        where: { id: 'corp' },
        data: { writebackEnabled: false, version: { increment: 1 } },
      });
      expect(updated).toMatchObject({ writebackEnabled: false, version: 2 });
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

      const audit = await prisma.auditRecord.create({
        data: {
          eventId: EVENT_ID,
          operationId: OPERATION_ID,
          type: 'operation.requested',
          domainId: 'corp',
          targetUpn: 'alice@corp.example.test',
          occurredAt: new Date('2026-01-01T00:00:00Z'),
          correlationId: 'corr-1',
          payload: { channel: 'sspr', attempt: 1 },
          chain: 'corp',
          chainSeq: 1n,
          prevHash: '0'.repeat(64),
          hash: 'f'.repeat(64),
        },
      });
      expect(typeof audit.id).toBe('bigint');
      await prisma.auditRecord.update({
        where: { eventId: EVENT_ID },
        data: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      const audits = await prisma.auditRecord.findMany({
        where: { operationId: OPERATION_ID },
        orderBy: { occurredAt: 'asc' },
      });
      expect(audits).toHaveLength(1);
      expect(audits[0]?.payload).toEqual({ channel: 'sspr', attempt: 1 });
      expect(audits[0]?.traceparent).toMatch(/^00-/);

      await prisma.busMessage.createMany({
        data: [1, 2, 3].map((i) => ({ topic: 'operations', key: OPERATION_ID, headers: { seq: i }, value: `v${i}` })),
      });
      const after = await prisma.busMessage.findMany({
        where: { topic: 'operations', offset: { gt: 1n } },
        orderBy: { offset: 'asc' },
      });
      expect(after.map((m) => m.value)).toEqual(['v2', 'v3']);
      await prisma.busConsumerOffset.create({ data: { groupId: 'audit-service', topic: 'operations', committed: 3n } });
    } finally {
      await prisma.$disconnect();
    }
  });

  it('keeps the data across a stop and a restart on the same data directory', async () => {
    await pg!.stop();
    pg = undefined;
    pg = await startEmbeddedPostgres({ dataDir });

    expect((await applyMigrations(conn())).applied).toEqual([]);
    const prisma = createPrismaClient(conn());
    try {
      expect(await prisma.domain.findUnique({ where: { id: 'corp' } })).toMatchObject({
        version: 2,
        writebackEnabled: false,
      });
      expect(await prisma.auditRecord.count()).toBe(1);
      expect(await prisma.busMessage.count({ where: { topic: 'operations' } })).toBe(3);
      expect(
        await prisma.busConsumerOffset.findUnique({
          where: { groupId_topic: { groupId: 'audit-service', topic: 'operations' } },
        }),
      ).toMatchObject({ committed: 3n });
    } finally {
      await prisma.$disconnect();
    }
  });
});
