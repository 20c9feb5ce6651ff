/**
 * The CPU of one hot statement run N times through Prisma and through `Sql` (prepared
 * statements), in one process, against one embedded PostgreSQL on one connection: the client's
 * (`process.cpuUsage`) and the server backend's (/proc/<pid>/stat). A diagnostic for ADR 0022,
 * not part of the benchmark:
 *
 *   npm run build && node bench/dist/statement-cpu.js [N]
 *
 * The statements are the executor's: the outcome's lookup (`find`) and its insert with the
 * outbox row and the cleanup in one statement (`record`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope, type EventEnvelope } from '@writeback/contracts';
import { eventMessage, outboxInsert } from '@writeback/messaging';
import {
  applyMigrations,
  createDatabase,
  Prisma,
  sqlOverPrisma,
  startEmbeddedPostgres,
  type Sql,
} from '@writeback/persistence';
import { parseStat } from './cpu';

const TICKS_PER_SECOND = 100;

/** The executor's most frequent outcome: the password written. */
const outcome = (operationId: string): EventEnvelope =>
  envelope(
    {
      type: 'WritebackApplied',
      version: 1,
      data: {
        operationId,
        domainId: 'corp',
        targetUpn: 'ada@corp.example.test',
        domainController: 'dc1.corp.example.test',
        actions: ['password'],
        policyHintsUsed: true,
        appliedAt: new Date().toISOString(),
      },
    },
    { correlationId: operationId },
  );

const record = (operationId: string): Prisma.Sql => {
  const event = outcome(operationId);
  return Prisma.sql`
    WITH recorded AS (
      INSERT INTO executor_outcomes (operation_id, domain_id, event)
      VALUES (${operationId}::uuid, ${'corp'}, ${JSON.stringify(event)}::jsonb)
      ON CONFLICT (operation_id) DO NOTHING
      RETURNING 1
    ), announced AS (${outboxInsert('bench', [eventMessage(event)], Prisma.sql`EXISTS (SELECT 1 FROM recorded)`)}
    ), forgotten AS (
      DELETE FROM executor_writes WHERE operation_id = ${operationId}::uuid
    )
    SELECT 1`;
};

const find = (operationId: string): Prisma.Sql =>
  Prisma.sql`SELECT event FROM executor_outcomes WHERE operation_id = ${operationId}::uuid`;

async function backendTicks(pid: number): Promise<number> {
  const stat = parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) throw new Error(`no /proc/${pid}/stat`);
  return stat.own;
}

interface Figures {
  clientMsPerStatement: number;
  serverMsPerStatement: number;
}

async function measure(n: number, backend: number, run: (i: number) => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < 200; i++) await run(-1 - i);
  const server = await backendTicks(backend);
  const client = process.cpuUsage();
  for (let i = 0; i < n; i++) await run(i);
  const used = process.cpuUsage(client);
  const serverTicks = (await backendTicks(backend)) - server;
  return {
    clientMsPerStatement: (used.user + used.system) / 1000 / n,
    serverMsPerStatement: ((serverTicks / TICKS_PER_SECOND) * 1000) / n,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5000);
  const dataDir = await mkdtemp(join(tmpdir(), 'wb-statement-cpu-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  const database = createDatabase(pg.connectionString, { poolSize: 1 });
  try {
    await applyMigrations(pg.connectionString);
    const [{ pid } = { pid: 0 }] = await database.sql.query<{ pid: number }>(
      Prisma.sql`SELECT pg_backend_pid() AS pid`,
    );
    const viaPrisma: Sql = sqlOverPrisma(database.prisma);
    // Operation ids per variant, so each `record` inserts and each `find` finds a row.
    const ids = (prefix: string) => {
      const all = new Map<number, string>();
      return (i: number) => {
        let id = all.get(i);
        if (!id) all.set(i, (id = randomUUID()));
        return `${prefix}${id.slice(prefix.length)}`;
      };
    };
    const viaPrismaIds = ids('a');
    const viaSqlIds = ids('b');
    const rows: Array<[string, Figures]> = [
      ['record, Prisma $queryRaw', await measure(n, pid, (i) => viaPrisma.query(record(viaPrismaIds(i))))],
      ['record, Sql (prepared)', await measure(n, pid, (i) => database.sql.query(record(viaSqlIds(i))))],
      [
        'find, Prisma findUnique',
        await measure(n, pid, (i) =>
          database.prisma.executorOutcome.findUnique({ where: { operationId: viaPrismaIds(i) } }),
        ),
      ],
      ['find, Prisma $queryRaw', await measure(n, pid, (i) => viaPrisma.query(find(viaPrismaIds(i))))],
      ['find, Sql (prepared)', await measure(n, pid, (i) => database.sql.query(find(viaSqlIds(i))))],
    ];
    console.log(`N = ${n}, one connection; CPU milliseconds per statement`);
    console.table(
      rows.map(([statement, f]) => ({
        statement,
        client: f.clientMsPerStatement.toFixed(3),
        server: f.serverMsPerStatement.toFixed(3),
      })),
    );
  } finally {
    await database.close();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
