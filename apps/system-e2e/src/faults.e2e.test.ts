import { passwordVersionOf } from '@writeback/directory';
import {
  canBind,
  controlForest,
  faultUsers,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  withLdapsBind,
  type ForestInfo,
  type WritebackFixture,
} from '@writeback/testing';
import { EqualityFilter } from 'ldapts';
import { Pool } from 'pg';
import { adminReset } from './scenarios';

const TERMINAL = ['applied', 'rejected', 'failed'];
/** Operations driven in all; the faults are injected, one after the other, while they run. */
const OPERATIONS = 500;
/** Users written at once (each user's operations stay sequential, so its password is known). */
const CONCURRENCY = 24;
/** How long the broker stays down, while operations go on (real Kafka fails leadership over). */
const BROKER_OUTAGE_MS = 20_000;
/** Operations that must be accepted and applied while the broker is down. */
const APPLIED_DURING_OUTAGE = 10;

interface Attempt {
  forest: ForestInfo;
  upn: string;
  sam: string;
  password: string;
  operationId?: string;
  acceptedAt?: number;
  status?: string;
  reasonCode?: string | null;
  binds?: boolean;
}

/** Every fault-user's unicodePwd write count, as the DC itself keeps it (replPropertyMetaData). */
async function passwordVersions(forest: ForestInfo): Promise<Map<string, number>> {
  return withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client) => {
    const { searchEntries } = await client.search(`OU=Faults,${forest.baseDn}`, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
      attributes: ['sAMAccountName', 'replPropertyMetaData'],
      explicitBufferAttributes: ['replPropertyMetaData'],
    });
    return new Map(
      searchEntries.map((e) => {
        const blob = e['replPropertyMetaData'];
        return [String(e['sAMAccountName']), passwordVersionOf(Buffer.isBuffer(blob) ? blob : undefined) ?? -1];
      }),
    );
  });
}

/**
 * Nothing lost, nothing applied twice: 500 password resets across both forests while, in turn,
 * a Kafka broker goes down, the executor and then the gate are killed, PostgreSQL restarts and a
 * DC stops. Counted on the DC side, not from our own records.
 */
describe('delivery guarantees under faults (distributed, two forests)', () => {
  // 500 operations through five faults, each waited out by condition (up to 4 minutes apiece):
  // minutes on a busy 2-core machine, so the suite-wide 3-minute limit does not fit.
  jest.setTimeout(900_000);
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;
  let db: Pool | undefined;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp, forests.fabrikam],
      env: {
        // Long enough to ride out each fault; the deadline itself is tested below.
        WRITEBACK_OPERATION_DEADLINE_MS: '90000',
      },
    });
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    await fixture?.stop();
  });

  /** The gate's own table, read directly: it answers even while the gate is down. */
  async function query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    // A pool: the suite queries concurrently, and a restarted PostgreSQL's dead sessions are
    // dropped (their 'error' is expected) and replaced on the next query.
    db ??= new Pool({ connectionString: fixture.databaseUrl, max: 4 }).on('error', () => undefined);
    return (await db.query<T>(sql, params)).rows;
  }

  it('ends every accepted operation once, applies each password exactly once, and every applied password binds', async () => {
    const users = [forests.corp, forests.fabrikam].flatMap((forest) =>
      faultUsers(forest).map((u) => ({ forest, sam: u.sam, upn: u.upn })),
    );
    expect(users.length).toBeGreaterThanOrEqual(CONCURRENCY * 2);
    const before = new Map([
      ['corp', await passwordVersions(forests.corp)],
      ['fabrikam', await passwordVersions(forests.fabrikam)],
    ]);

    const attempts: Attempt[] = [];
    const accepted = (): Attempt[] => attempts.filter((a) => a.operationId);
    const ended = (): Attempt[] => attempts.filter((a) => a.status && TERMINAL.includes(a.status));
    let unanswered = 0;
    let sent = 0;

    /** Submits one reset; an unanswered request is settled from the gate's table once it is up. */
    async function submit(attempt: Attempt): Promise<void> {
      const since = new Date(Date.now() - 1000);
      const answer = await fixture.request(adminReset(attempt.upn, attempt.password)).catch(() => undefined);
      if (answer?.status === 202) {
        attempt.operationId = answer.body['operationId'] as string;
        attempt.acceptedAt = Date.now();
        return;
      }
      if (answer && answer.status < 500) {
        throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      // No answer or a 5xx: the request may or may not have been committed. Once the gate is up
      // again, whatever it was doing is settled; the user's only other operations are known
      // ones, so an unknown one since `since` is this request.
      unanswered++;
      await gateReady();
      // A killed gate's transaction may still be committing in PostgreSQL: the table tells the
      // request's fate only once every transaction that began before the gate was ready is over.
      const readyAt = new Date();
      await waitFor(
        async () => {
          const open = await query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE xact_start < $1 AND pid <> pg_backend_pid()`,
            [readyAt],
          );
          return open[0]?.n === 0;
        },
        { timeoutMs: 120_000, description: `transactions older than the gate's restart to end (${attempt.upn})` },
      );
      const known = attempts.filter((a) => a.upn === attempt.upn && a.operationId).map((a) => a.operationId);
      const { rows } = await waitFor(
        async () => ({
          rows: await query<{ id: string }>(
            `SELECT id::text FROM operations WHERE target_upn = $1 AND created_at >= $2 AND NOT (id::text = ANY($3))`,
            [attempt.upn, since, known],
          ),
        }),
        { timeoutMs: 120_000, description: `the gate's table to answer for ${attempt.upn}` },
      );
      if (rows[0]) {
        attempt.operationId = rows[0].id;
        attempt.acceptedAt = Date.now();
      }
    }

    async function settle(attempt: Attempt): Promise<void> {
      const view = await fixture.outcome(attempt.operationId as string, 240_000);
      attempt.status = view.status;
      attempt.reasonCode = view.reason?.code ?? null;
      if (view.status === 'applied') {
        attempt.binds = await waitFor(() => canBind(attempt.forest, attempt.upn, attempt.password), {
          timeoutMs: 120_000,
          description: `${attempt.upn} to bind with its applied password`,
        }).catch(() => false);
      }
    }

    const gateReady = (): Promise<boolean> =>
      waitFor(() => fetch(new URL('/health/ready', fixture.system.gateUrl)).then((r) => r.ok), {
        timeoutMs: 120_000,
        description: 'the gate to be ready',
      });
    let faultsDone = false;
    const worker = async (index: number): Promise<void> => {
      const mine = users.filter((_, i) => i % CONCURRENCY === index);
      for (let round = 0; !faultsDone || sent < OPERATIONS; round++) {
        const user = mine[round % mine.length] as (typeof users)[number];
        sent++;
        const attempt: Attempt = { ...user, password: `Fault-${stamp}-${round}-${index}-Aa1!` };
        attempts.push(attempt);
        await submit(attempt);
        if (attempt.operationId) await settle(attempt);
        else {
          // Not accepted (e.g. the gate was down): the same request is simply sent again later.
          attempts.splice(attempts.indexOf(attempt), 1);
          sent--;
        }
      }
    };

    const progress = async (what: () => number, atLeast: number, description: string): Promise<void> => {
      await waitFor(() => what() >= atLeast, { timeoutMs: 240_000, intervalMs: 200, description });
    };
    /** Accepted, not yet seen terminal: the operations a fault can hit. */
    const inFlight = (): number => accepted().filter((a) => !a.status).length;
    const faults: Array<{ fault: string; inFlightAtStart: number; acceptedDuring: number }> = [];
    /**
     * `begin` calls `strike` to inject the fault; the operations in flight at that moment are
     * what the fault hits, and the suite requires some for every fault.
     */
    const inject = async (
      fault: string,
      begin: (strike: (action: () => Promise<unknown>) => Promise<void>) => Promise<void>,
      end: () => Promise<void>,
    ): Promise<void> => {
      const start = accepted().length;
      let inFlightAtStart = 0;
      await begin(async (action) => {
        await waitFor(() => inFlight() > 0, {
          timeoutMs: 60_000,
          intervalMs: 10,
          description: `operations in flight for ${fault}`,
        });
        inFlightAtStart = inFlight();
        await action();
      });
      await end();
      faults.push({ fault, inFlightAtStart, acceptedDuring: accepted().length - start });
      // Traffic flows again before the next fault.
      await progress(() => ended().length, ended().length + 20, `operations to end after ${fault}`);
    };

    /** Waits until the named process has logged `pattern` more often than when this was called. */
    const logsAgain = async (process: RegExp, pattern: RegExp, description: string): Promise<void> => {
      const count = async (): Promise<number> => (await fixture.logs(process)).split(pattern).length - 1;
      const before = await count();
      await waitFor(async () => (await count()) > before, { timeoutMs: 120_000, intervalMs: 250, description });
    };

    const workers = Array.from({ length: CONCURRENCY }, (_, i) => worker(i));
    await progress(() => ended().length, 30, 'warm-up operations to end');

    await inject(
      'Kafka broker 1 SIGKILL and restart',
      async (strike) => {
        const kafka = fixture.kafka;
        if (!kafka) throw new Error('the distributed fixture runs without Kafka');
        let downAt = 0;
        await strike(async () => {
          // A crash, not a controlled shutdown: the controller fences it after its session ends.
          await kafka.killBroker(1);
          downAt = Date.now();
        });
        // The outage lasts a fixed time, waited out by condition while traffic goes on: its
        // partitions' leaders moved, so operations keep being accepted and applied meanwhile.
        const appliedSinceDown = (): number =>
          accepted().filter((a) => (a.acceptedAt ?? 0) >= downAt && a.status === 'applied').length;
        await waitFor(() => Date.now() - downAt >= BROKER_OUTAGE_MS && appliedSinceDown() >= APPLIED_DURING_OUTAGE, {
          timeoutMs: 240_000,
          intervalMs: 200,
          description: `${BROKER_OUTAGE_MS} ms down and ${APPLIED_DURING_OUTAGE} operations accepted and applied meanwhile`,
        });
      },
      async () => fixture.kafka?.startBroker(1),
    );
    await inject(
      'executor SIGKILL mid-flight and restart',
      async (strike) => {
        // Mid-write: the executor has claimed the operation (the next step is the directory write)
        // and has not recorded its outcome yet.
        await waitFor(
          async () =>
            (
              await query(
                `SELECT 1 FROM operation_deadlines d
                   JOIN operations o ON o.id = d.operation_id
                   LEFT JOIN executor_outcomes e ON e.operation_id = d.operation_id
                  WHERE d.state = 'claimed' AND o.domain_id = 'corp' AND e.operation_id IS NULL`,
              )
            ).length > 0,
          { timeoutMs: 60_000, intervalMs: 5, description: 'a corp operation claimed and not yet recorded' },
        );
        await strike(async () => fixture.system.processes.get('executor-corp')?.kill());
        await progress(() => accepted().length, accepted().length + 5, 'requests accepted without the executor');
      },
      async () => void (await fixture.system.restart('executor-corp')),
    );
    await inject(
      'policy gate SIGKILL and restart',
      async (strike) => {
        const unansweredBefore = unanswered;
        await strike(async () => fixture.system.processes.get('policy-gate')?.kill());
        await progress(() => unanswered, unansweredBefore + 1, 'a request left unanswered by the gate');
      },
      async () => void (await fixture.system.restart('policy-gate')),
    );
    await inject(
      'PostgreSQL restart',
      (strike) => strike(() => fixture.restartPostgres()),
      () => Promise.resolve(),
    );
    await inject(
      'fabrikam DC stopped and started',
      async (strike) => {
        const noticed = logsAgain(
          /executor-fabrikam/,
          /directory write failed/,
          'the fabrikam executor to meet the stopped DC',
        );
        await strike(() => controlForest('fabrikam', 'stop'));
        await noticed;
      },
      () => controlForest('fabrikam', 'start'),
    );

    faultsDone = true;
    await Promise.all(workers);

    const after = new Map([
      ['corp', await passwordVersions(forests.corp)],
      ['fabrikam', await passwordVersions(forests.fabrikam)],
    ]);
    // A DC write beyond the user's applied operations is either a second write of one of them
    // or a write of one that did not end applied; which one cannot be told from the count, so
    // it is charged to the latter only when the user has such an operation. Nothing is
    // subtracted for "may have been written" (AD.WRITE_UNCONFIRMED): both rows must be 0.
    let appliedTwice = 0;
    let appliedUnwritten = 0;
    let writtenNotApplied = 0;
    for (const user of users) {
      const writes =
        (after.get(user.forest.name)?.get(user.sam) ?? 0) - (before.get(user.forest.name)?.get(user.sam) ?? 0);
      const mine = accepted().filter((a) => a.upn === user.upn);
      const applied = mine.filter((a) => a.status === 'applied').length;
      const extra = Math.max(0, writes - applied);
      if (mine.some((a) => a.status !== 'applied')) writtenNotApplied += extra;
      else appliedTwice += extra;
      appliedUnwritten += Math.max(0, applied - writes);
    }
    const dbRows = await query<{ count: string }>(
      `SELECT count(*)::text AS count FROM operations WHERE target_upn = ANY($1)`,
      [users.map((u) => u.upn)],
    );
    const byOutcome = new Map<string, number>();
    for (const a of accepted()) {
      const key = `${a.status}${a.reasonCode ? ` ${a.reasonCode}` : ''}`;
      byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    }
    const report = {
      accepted: accepted().length,
      'accepted (gate table)': Number(dbRows[0]?.count ?? -1),
      terminal: ended().length,
      lost: accepted().length - ended().length,
      'applied twice (DC write count)': appliedTwice,
      'applied but not written': appliedUnwritten,
      'written, not reported applied': writtenNotApplied,
      'applied, password does not bind': accepted().filter((a) => a.status === 'applied' && !a.binds).length,
      'requests left unanswered (settled from the table)': unanswered,
      ...Object.fromEntries([...byOutcome].map(([k, v]) => [`outcome: ${k}`, v])),
      ...Object.fromEntries(faults.map((f) => [`in flight at start: ${f.fault}`, f.inFlightAtStart])),
      ...Object.fromEntries(faults.map((f) => [`accepted during: ${f.fault}`, f.acceptedDuring])),
    };
    process.stdout.write(`\nfault-injection report\n${formatTable(report)}\n`);
    console.table(report);

    expect(accepted().length).toBeGreaterThanOrEqual(OPERATIONS);
    expect(report['accepted (gate table)']).toBe(report.accepted);
    expect(report.terminal).toBe(report.accepted);
    expect(report.lost).toBe(0);
    expect(report['applied twice (DC write count)']).toBe(0);
    expect(report['applied but not written']).toBe(0);
    expect(report['written, not reported applied']).toBe(0);
    // Every fault is survivable (leadership fails over, the executor's claim outlives its
    // process): none may end an operation failed, with one justified exception. A fabrikam
    // operation that meets the stopped DC on every try of WRITEBACK_EXECUTOR_MAX_ATTEMPTS ends
    // `failed` AD.DC_UNAVAILABLE by design (the DC answered nothing, so nothing was written; the
    // DC's write count above checks that).
    const failed = accepted().filter((a) => a.status === 'failed');
    expect(
      failed
        .filter((a) => !(a.forest.name === 'fabrikam' && a.reasonCode === 'AD.DC_UNAVAILABLE'))
        .map((a) => a.reasonCode),
    ).toEqual([]);
    for (const f of faults)
      expect({ fault: f.fault, inFlight: f.inFlightAtStart > 0 }).toEqual({ fault: f.fault, inFlight: true });
    expect(report['applied, password does not bind']).toBe(0);
    expect(faults).toHaveLength(5);
  });
});

function formatTable(rows: Record<string, number>): string {
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  return Object.entries(rows)
    .map(([k, v]) => `  ${k.padEnd(width)}  ${String(v).padStart(5)}`)
    .join('\n');
}

/**
 * The deadline: an operation that no executor takes in time ends `failed` with a clear reason,
 * and the executor that comes back afterwards refuses to write it.
 */
describe('operation deadline (distributed)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp],
      env: { WRITEBACK_OPERATION_DEADLINE_MS: '3000' },
    });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  it('fails an operation no executor claimed in time, and the password is never written afterwards', async () => {
    // The fault suite's users are the only ones nobody else writes; the last one is enough here.
    const user = faultUsers(forests.corp).at(-1) as ForestInfo['users'][number];
    const versionOf = async (): Promise<string> =>
      withLdapsBind(forests.corp, forests.corp.admin.dn, forests.corp.admin.password, async (client) => {
        const { searchEntries } = await client.search(user.dn, {
          scope: 'base',
          attributes: ['replPropertyMetaData'],
          explicitBufferAttributes: ['replPropertyMetaData'],
        });
        const blob = searchEntries[0]?.['replPropertyMetaData'];
        return String(passwordVersionOf(Buffer.isBuffer(blob) ? blob : undefined));
      });
    const writesBefore = await versionOf();

    await fixture.system.processes.get('executor-corp')?.stop();
    const password = `Late-${stamp}-Aa1!`;
    const { status, body } = await fixture.request(adminReset(user.upn, password));
    expect(status).toBe(202);
    const operationId = body['operationId'] as string;
    const view = await fixture.outcome(operationId, 30_000);
    expect(view).toMatchObject({ status: 'failed', reason: { code: 'OPERATION.DEADLINE_EXCEEDED' } });

    // The executor comes back and receives the command: it refuses, and says so.
    await fixture.system.restart('executor-corp');
    const audit = await fixture.auditHistory(operationId, 4);
    expect(audit.map((e) => e['type'])).toEqual([
      'PasswordChangeRequested',
      'WritebackApproved',
      'WritebackFailed',
      'WritebackFailed',
    ]);
    expect(audit[3]?.['data']).toMatchObject({ reason: { code: 'OPERATION.DEADLINE_EXCEEDED' }, attempts: 0 });
    expect(await versionOf()).toBe(writesBefore);
    expect(await canBind(forests.corp, user.upn, password)).toBe(false);
    expect((await fixture.operation(operationId)).status).toBe('failed');
  });
});
