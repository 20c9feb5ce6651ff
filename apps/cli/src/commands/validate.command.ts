import { randomBytes, randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AndFilter, Attribute, Change, type Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';
import type { OperationView } from '@writeback/contracts';
import { VALIDATION_SCENARIOS, type ValidationScenario } from '@writeback/domain';
import { createLdapsClient, readPasswordPolicy, withDirectoryBind, type LdapsEndpoint } from '@writeback/directory';
import { CannotRunError, ExitCode } from '../cli-errors';
import { parseTimeoutSeconds } from '../cli-options';
import { errorMessage, type CliContext } from '../cli-context';
import { domainAccess, type DomainAccess } from '../domain-access';
import { DOMAIN_FLAGS } from '../domain-option';
import { table } from '../output';

export interface ScenarioResult {
  scenario: ValidationScenario['id'];
  title: string;
  operationId: string | null;
  outcome: string;
  /** What was checked on the DC after the outcome. */
  directoryCheck: string;
  audited: boolean;
  passed: boolean;
  /** Not run: this domain cannot prove it (no lockout threshold). Never counts as passed. */
  skipped: boolean;
  detail: string;
}

/** The preparation a scenario needs did not happen, so its outcome would prove nothing. */
class NotPrepared extends Error {
  constructor(
    message: string,
    readonly skipped: boolean,
  ) {
    super(message);
  }
}

/** A password any default AD complexity policy accepts: four character classes, 20 characters. */
function testPassword(): string {
  const pick = (set: string, n: number): string =>
    Array.from({ length: n }, () => set[randomInt(set.length)] ?? '').join('');
  return `Wb${pick('abcdefghjkmnpqrstuvwxyz', 6)}${pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 4)}${pick('23456789', 4)}-${pick('!#%+=?', 2)}`;
}

async function bindsWith(endpoint: LdapsEndpoint, upn: string, password: string): Promise<boolean> {
  const client = createLdapsClient(endpoint);
  try {
    await client.bind(upn, password);
    return true;
  } catch (error) {
    if (error instanceof InvalidCredentialsError) return false;
    throw error;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

async function userEntry(client: Client, baseDn: string, upn: string): Promise<{ dn: string; lockoutTime: string }> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: new AndFilter({
      filters: [
        new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
        new EqualityFilter({ attribute: 'userPrincipalName', value: upn }),
      ],
    }),
    attributes: ['lockoutTime'],
    sizeLimit: 2,
  });
  if (searchEntries.length !== 1) throw new CannotRunError(`${upn} is not (uniquely) in ${baseDn}`);
  const entry = searchEntries[0] as (typeof searchEntries)[number];
  return { dn: entry.dn, lockoutTime: String(entry['lockoutTime'] ?? '0') };
}

class Runner {
  constructor(
    private readonly ctx: CliContext,
    private readonly access: DomainAccess,
    private readonly upn: string,
    private readonly administratorId: string,
    private readonly timeoutMs: number,
  ) {}

  private get endpoint(): LdapsEndpoint {
    return this.access.endpoints[0] as LdapsEndpoint;
  }

  private asServiceAccount<T>(use: (client: Client) => Promise<T>): Promise<T> {
    return withDirectoryBind(this.endpoint, this.access.serviceAccount, use);
  }

  /** Makes the scenario prove something: an expired password, a locked account. */
  private async prepare(scenario: ValidationScenario): Promise<string> {
    if (scenario.prepare === 'expire-password') {
      await this.asServiceAccount(async (client) => {
        const { dn } = await userEntry(client, this.access.domain.baseDn, this.upn);
        await client.modify(
          dn,
          new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }),
        );
      });
      return 'password expired first (pwdLastSet=0)';
    }
    if (scenario.prepare === 'lock-account') {
      const policy = await this.asServiceAccount((client) => readPasswordPolicy(client, this.access.domain.baseDn));
      if (policy.lockoutThreshold === 0) {
        throw new NotPrepared(
          'skipped: the domain has no lockout threshold, so the account cannot be locked first; set one (e.g. 5) and run validate again',
          true,
        );
      }
      for (let i = 0; i < policy.lockoutThreshold; i++) {
        await bindsWith(this.endpoint, this.upn, `wrong-${randomBytes(6).toString('hex')}`);
      }
      const locked = await this.asServiceAccount(async (client) => {
        const entry = await userEntry(client, this.access.domain.baseDn, this.upn);
        return entry.lockoutTime !== '0';
      });
      if (!locked) {
        throw new NotPrepared(
          `could not lock the account first: lockoutTime is still 0 after ${policy.lockoutThreshold} failed binds`,
          false,
        );
      }
      return `locked first (${policy.lockoutThreshold} failed binds)`;
    }
    return '';
  }

  private async submit(scenario: ValidationScenario, password: string): Promise<OperationView> {
    const request = scenario.request(this.upn, this.administratorId);
    const { operationId } = await this.ctx.services.gate.requestOperation({ ...request, newPassword: password });
    return this.ctx.services.gate.waitForOperation(operationId, this.timeoutMs);
  }

  private async audited(operationId: string): Promise<boolean> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        const events = await this.ctx.services.audit.operationHistory(operationId);
        if (events.some((e) => ['WritebackApplied', 'WritebackRejected', 'WritebackFailed'].includes(e.type)))
          return true;
      } catch {
        // Not recorded yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  async run(scenario: ValidationScenario): Promise<{ result: ScenarioResult; password: string | null }> {
    const base = { scenario: scenario.id, title: scenario.title, skipped: false };
    try {
      const prepared = await this.prepare(scenario);
      const password = testPassword();
      const view = await this.submit(scenario, password);
      if (view.status !== 'applied') {
        return {
          result: {
            ...base,
            operationId: view.operationId,
            outcome: view.status,
            directoryCheck: '-',
            audited: await this.audited(view.operationId),
            passed: false,
            detail: [
              prepared,
              view.reason ? `${view.reason.code}: ${view.reason.message}` : 'no terminal state in time',
            ]
              .filter(Boolean)
              .join('; '),
          },
          password: null,
        };
      }
      const binds = await bindsWith(this.endpoint, this.upn, password);
      const unlocked =
        scenario.prepare !== 'lock-account' ||
        (await this.asServiceAccount(
          async (c) => (await userEntry(c, this.access.domain.baseDn, this.upn)).lockoutTime === '0',
        ));
      const audited = await this.audited(view.operationId);
      return {
        result: {
          ...base,
          operationId: view.operationId,
          outcome: view.status,
          directoryCheck: `new password binds: ${binds ? 'yes' : 'NO'}${scenario.prepare === 'lock-account' ? `; unlocked: ${unlocked ? 'yes' : 'NO'}` : ''}`,
          audited,
          passed: binds && unlocked && audited,
          detail: prepared,
        },
        password,
      };
    } catch (error) {
      return {
        result: {
          ...base,
          skipped: error instanceof NotPrepared && error.skipped,
          operationId: null,
          outcome: error instanceof NotPrepared ? 'not run' : 'error',
          directoryCheck: '-',
          audited: false,
          passed: false,
          detail: errorMessage(error),
        },
        password: null,
      };
    }
  }
}

export function registerValidateCommand(program: Command, context: () => CliContext): void {
  program
    .command('validate')
    .description(
      "run the seed's validation scenarios against a test account, through the policy gate, and check each on the DC: SSPR reset, expired-password change, regular change, admin reset, unlock with reset (needs a domain lockout threshold to lock the account first; skipped without one, and a skip fails the run)",
    )
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--user <upn>', 'a TEST account in scope: its password is replaced several times')
    .option('--administrator <id>', 'the cloud administrator id for the admin reset', 'writeback-validate')
    .option('--save-password <path>', "write the account's final password to this file (0600)")
    .option('--timeout-seconds <n>', 'how long each operation may take', parseTimeoutSeconds, 60)
    .action(
      (o: { domain: string; user: string; administrator: string; savePassword?: string; timeoutSeconds: number }) =>
        context().run(async () => {
          const ctx = context();
          const access = await domainAccess(ctx, o.domain);
          const target = ctx.changing({
            what: `the password of ${o.user} through the policy gate`,
            endpoint: ctx.services.urls.gateUrl,
          });
          const runner = new Runner(ctx, access, o.user, o.administrator, o.timeoutSeconds * 1000);
          const results: ScenarioResult[] = [];
          let password: string | null = null;
          for (const scenario of VALIDATION_SCENARIOS) {
            ctx.out.progress(`${scenario.title}`);
            const run = await runner.run(scenario);
            results.push(run.result);
            password = run.password ?? password;
          }
          if (o.savePassword && password) {
            await writeFile(o.savePassword, `${password}\n`, { mode: 0o600, flag: 'wx' });
          }
          const passed = results.every((r) => r.passed);
          ctx.out.result({ domain: o.domain, user: o.user, passed, scenarios: results, ...target }, () =>
            [
              table(
                ['scenario', 'outcome', 'on the DC', 'audited', 'result', 'detail'],
                results.map((r) => [
                  r.title,
                  r.outcome,
                  r.directoryCheck,
                  r.audited ? 'yes' : 'NO',
                  r.skipped ? 'SKIP' : r.passed ? 'PASS' : 'FAIL',
                  r.detail,
                ]),
              ),
              passed
                ? `all ${results.length} scenarios passed for ${o.user}`
                : results.some((r) => r.skipped) && results.every((r) => r.passed || r.skipped)
                  ? 'validation INCOMPLETE: a skipped scenario is not a pass (see its detail)'
                  : 'validation FAILED',
              o.savePassword && password
                ? `the account's password is in ${o.savePassword}`
                : `${o.user} now has a random password: reset it, or rerun with --save-password`,
            ].join('\n'),
          );
          return passed ? ExitCode.OK : ExitCode.FAILED;
        }),
    );
}
