import { type Command, Option } from 'commander';
import { OperationStatus, type OperationSummary, type OperationView } from '@writeback/contracts';
import { isEnded } from '../clients/gate.client';
import { firstItems } from '../clients/paging';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { DOMAIN_FLAGS } from '../domain-option';
import { parseCount, parseInstant, parseTimeoutSeconds } from '../cli-options';
import { table } from '../output';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The gate's largest page. */
const MAX_PAGE = 500;

interface ListOptions {
  domain?: string;
  status?: OperationSummary['status'];
  reason?: string;
  user?: string;
  since?: string;
  limit: number;
}

const reasonText = (o: OperationSummary): string => (o.reason ? `${o.reason.code}: ${o.reason.message}` : '');

function describeOperation(o: OperationView): string {
  return table(
    ['operation', o.operationId],
    [
      ['status', o.status],
      ['kind', `${o.kind} (${o.channel})`],
      ['user', o.targetUpn],
      ['domain', o.domainId ?? '(not routed)'],
      ['caller', o.caller.subject],
      ['reason', reasonText(o) || '-'],
      ['created', o.createdAt],
      ['completed', o.completedAt ?? '-'],
      ['history', o.history.map((h) => `${h.occurredAt} ${h.type}`).join('\n')],
    ],
  );
}

/** Newest first, up to `limit`, across as many of the gate's pages as that takes. */
const listOperations = (ctx: CliContext, o: ListOptions): Promise<OperationSummary[]> =>
  firstItems(o.limit, MAX_PAGE, (page) =>
    ctx.services.gate.listOperations({
      domainId: o.domain,
      status: o.status,
      reasonCode: o.reason,
      targetUpn: o.user,
      since: o.since,
      ...page,
    }),
  );

export function registerOperationCommands(program: Command, context: () => CliContext): void {
  const operations = program
    .command('operations')
    .description('password writeback operations as the policy gate has them: status, outcome, reason');

  operations
    .command('get <id>')
    .description('one operation: status, outcome, reason and history (--wait: once it has ended)')
    .option('--wait', 'wait until it ends (applied, rejected or failed); exit 1 if it has not by the timeout')
    .option('--timeout-seconds <n>', 'with --wait: how long to wait', parseTimeoutSeconds, 60)
    .action((id: string, o: { wait?: boolean; timeoutSeconds: number }) =>
      context().run(async () => {
        const ctx = context();
        if (!UUID.test(id)) throw new UsageError(`"${id}" is not an operation id (a UUID)`);
        if (o.wait) ctx.out.progress(`waiting up to ${o.timeoutSeconds} s for operation ${id} to end`);
        const view = o.wait
          ? await ctx.services.gate.waitForOperation(id, o.timeoutSeconds * 1000)
          : await ctx.services.gate.getOperation(id);
        const timedOut = Boolean(o.wait) && !isEnded(view);
        ctx.out.result(view, () =>
          [describeOperation(view), ...(timedOut ? [`still ${view.status} after ${o.timeoutSeconds} s`] : [])].join(
            '\n',
          ),
        );
        return timedOut ? ExitCode.FAILED : ExitCode.OK;
      }),
    );

  operations
    .command('list')
    .description('operations newest first, filtered (every filter given must match)')
    .option(DOMAIN_FLAGS, 'only this domain')
    .addOption(new Option('--status <status>', 'only in this status').choices(OperationStatus.options))
    .option('--reason <code>', 'only with this reason code, e.g. AD.PASSWORD_TOO_YOUNG')
    .option('--user <upn>', 'only for this user')
    .option(
      '--since <when>',
      'only created since: ISO 8601 (2026-12-05T09:00:00Z) or a duration ago (15m, 2h, 7d)',
      parseInstant,
    )
    .option('--limit <n>', 'at most this many', parseCount, 50)
    .action((o: ListOptions) =>
      context().run(async () => {
        const ctx = context();
        const items = await listOperations(ctx, o);
        ctx.out.result(items, () =>
          items.length === 0
            ? 'no operation matches'
            : table(
                ['created', 'operation', 'status', 'kind', 'user', 'domain', 'reason'],
                items.map((op) => [
                  op.createdAt,
                  op.operationId,
                  op.status,
                  op.kind,
                  op.targetUpn,
                  op.domainId ?? '',
                  reasonText(op),
                ]),
              ),
        );
        return ExitCode.OK;
      }),
    );
}
