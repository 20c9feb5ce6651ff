import type { Command } from 'commander';
import type { DeadLetterView } from '@writeback/contracts';
import { ExitCode, RefusedError, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { parseCount } from '../cli-options';
import { table } from '../output';

interface Page {
  items: DeadLetterView[];
  nextCursor: string | null;
}

const MAX_PAGE = 500;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${value}" is not a positive integer`);
  return n;
}

/** Every page of dead letters matching the filter (the audit service keeps them). */
async function listAll(ctx: CliContext, filter: { topic?: string; pending?: boolean }, limit: number) {
  const items: DeadLetterView[] = [];
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(Math.min(MAX_PAGE, limit - items.length)) });
    if (filter.topic) query.set('sourceTopic', filter.topic);
    if (filter.pending) query.set('replayed', 'false');
    if (after) query.set('after', after);
    const page: Page = await ctx.services.get<Page>('auditUrl', `/v1/dead-letters?${query.toString()}`);
    items.push(...page.items);
    after = page.nextCursor;
  } while (after && items.length < limit);
  return items;
}

export function registerDeadLetterCommands(program: Command, context: () => CliContext): void {
  const deadLetters = program
    .command('dead-letters')
    .description('messages a consumer could not accept (writeback.dead-letters.v1), kept by the audit service');

  deadLetters
    .command('list')
    .description('list dead letters, oldest first, with the reason each was refused')
    .option('--topic <topic>', 'only those from this source topic')
    .option('--pending', 'only those not replayed yet')
    .option('--limit <n>', 'at most this many', parseCount, 100)
    .action((options: { topic?: string; pending?: boolean; limit: number }) =>
      context().run(async () => {
        const ctx = context();
        const items = await listAll(ctx, options, options.limit);
        ctx.out.result(items, () =>
          items.length === 0
            ? 'no dead letters'
            : table(
                ['id', 'dead-lettered', 'source', 'consumer group', 'reason', 'replayed'],
                items.map((d) => [
                  d.id,
                  d.deadLetteredAt,
                  `${d.sourceTopic} ${d.sourcePosition}`,
                  d.consumerGroup,
                  [d.reason, ...d.issues].join('\n'),
                  d.replayedAt ? `${d.replayedAt} by ${d.replayedBy ?? '?'}` : '',
                ]),
              ),
        );
        return ExitCode.OK;
      }),
    );

  deadLetters
    .command('replay')
    .description(
      'publish dead letters to their source topic again, once the cause is fixed (exit 1 when one could not be replayed)',
    )
    .argument('[ids...]', 'dead letter ids (from `dead-letters list`)')
    .option('--all-pending', 'every dead letter not replayed yet (with --topic: of that topic)')
    .option('--topic <topic>', 'with --all-pending: only those from this source topic')
    .action((ids: string[], options: { allPending?: boolean; topic?: string }) =>
      context().run(async () => {
        const ctx = context();
        if (ids.length > 0 === Boolean(options.allPending)) {
          throw new UsageError('name dead letter ids or --all-pending, not both and not neither');
        }
        for (const id of ids) positiveInteger(id);
        const targets = options.allPending
          ? (await listAll(ctx, { ...options, pending: true }, Number.MAX_SAFE_INTEGER)).map((d) => d.id)
          : ids;
        const target = ctx.changing('auditUrl');
        const results: Array<{ id: string; replayed: boolean; error?: string }> = [];
        for (const id of targets) {
          try {
            await ctx.services.call('auditUrl', 'POST', `/v1/dead-letters/${id}/replay`, {});
            results.push({ id, replayed: true });
          } catch (error) {
            if (!(error instanceof RefusedError)) throw error;
            results.push({ id, replayed: false, error: error.message });
          }
        }
        const refused = results.filter((r) => !r.replayed);
        ctx.out.result({ results, ...target }, () =>
          [
            `${results.length - refused.length} dead letter(s) replayed`,
            ...refused.map((r) => `  ${r.id}: ${r.error ?? ''}`),
          ].join('\n'),
        );
        return refused.length === 0 ? ExitCode.OK : ExitCode.FAILED;
      }),
    );
}
