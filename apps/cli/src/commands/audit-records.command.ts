import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { AuditRecordView, AuditFilter } from '../clients/audit.client';
import { firstItems } from '../clients/paging';
import { CannotRunError, ExitCode } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { DOMAIN_FLAGS } from '../domain-option';
import { parseCount, parseInstant } from '../cli-options';
import { table } from '../output';

/** The audit service's largest page. */
const MAX_PAGE = 500;

function parsePageSize(value: string): number {
  const n = parseCount(value);
  if (n > MAX_PAGE) throw new InvalidArgumentError(`the audit service answers at most ${MAX_PAGE} records a page`);
  return n;
}

interface FilterOptions {
  operation?: string;
  user?: string;
  domain?: string;
  outcome?: AuditFilter['outcome'];
  type?: string;
  since?: string;
  until?: string;
}

function withFilters(command: Command): Command {
  return command
    .option('--operation <id>', "only this operation's records")
    .option('--user <upn>', 'only records about this user')
    .option(DOMAIN_FLAGS, 'only this domain')
    .addOption(
      new Option('--outcome <outcome>', 'only the outcome records of this kind').choices([
        'applied',
        'rejected',
        'failed',
      ]),
    )
    .option('--type <type>', 'only records of this event type, e.g. WritebackApplied')
    .option('--since <when>', 'only from then: ISO 8601 or a duration ago (15m, 2h, 7d)', parseInstant)
    .option('--until <when>', 'only before then: ISO 8601 or a duration ago', parseInstant);
}

const filterOf = (o: FilterOptions): AuditFilter => ({
  operationId: o.operation,
  targetUpn: o.user,
  domainId: o.domain,
  outcome: o.outcome,
  type: o.type,
  from: o.since,
  to: o.until,
});

/** What a record says in one cell: the reason of an outcome, the action on a configuration. */
function detailOf(entry: AuditRecordView): string {
  const data = entry.data as { reason?: { code?: string }; action?: string; changedFields?: string[] };
  if (data.reason?.code) return data.reason.code;
  if (data.action) return `${data.action}${data.changedFields ? `: ${data.changedFields.join(', ')}` : ''}`;
  return '';
}

/**
 * Writes a chunk, waiting when the stream's buffer is full: an export holds one page at a time.
 * A stream that failed (a closed pipe, a full disk) fails the export.
 */
async function write(out: Writable, chunk: string): Promise<void> {
  if (out.errored) throw new CannotRunError(`the export could not be written: ${out.errored.message}`);
  if (!out.write(chunk)) await once(out, 'drain');
}

/** The CSV text of a page without its header line (the export writes the first page's once). */
const withoutHeader = (csv: string): string => csv.slice(csv.indexOf('\n') + 1);

/**
 * Every record matching the filter, a page at a time, written as it arrives: CSV as the audit
 * service writes it (one header), or one JSON array. Returns how many were written.
 */
async function exportRecords(
  ctx: CliContext,
  filter: AuditFilter,
  format: 'csv' | 'json',
  pageSize: number,
  out: Writable,
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  const progress = (): void => ctx.out.progress(`${count} records exported`);
  // A write error is read from `out.errored` by the next write, not thrown out of an event.
  const ignore = (): void => undefined;
  out.on('error', ignore);
  try {
    if (format === 'json') await write(out, '[');
    do {
      if (format === 'csv') {
        const page = await ctx.services.audit.recordsCsv(filter, { limit: pageSize, ...(cursor ? { cursor } : {}) });
        await write(out, count === 0 && !cursor ? page.csv : withoutHeader(page.csv));
        count += page.recordCount;
        cursor = page.nextCursor ?? undefined;
      } else {
        const page = await ctx.services.audit.records(filter, { limit: pageSize, ...(cursor ? { cursor } : {}) });
        for (const entry of page.items) await write(out, `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(entry)}`);
        cursor = page.nextCursor ?? undefined;
      }
      if (cursor) progress();
    } while (cursor);
    if (format === 'json') await write(out, count === 0 ? ']\n' : '\n]\n');
    return count;
  } finally {
    out.off('error', ignore);
  }
}

/**
 * Runs an export into a file: written beside it and renamed when complete, so a file never holds
 * half an export; 0600, since records name users.
 */
async function exportToFile(file: string, run: (out: Writable) => Promise<number>): Promise<number> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial, { mode: 0o600 });
  // Errors surface through `open`, the writes and `finish`; a late one must not end the process.
  out.on('error', () => undefined);
  await once(out, 'open').catch((error: Error) => {
    throw new CannotRunError(`cannot write ${partial}: ${error.message}`);
  });
  try {
    const count = await run(out);
    out.end();
    await once(out, 'finish');
    await rename(partial, file);
    return count;
  } catch (error) {
    // Destroying drops what was queued (with an error of its own, not the one to report).
    const closed = once(out, 'close').catch(() => undefined);
    out.destroy();
    await closed;
    await rm(partial, { force: true });
    throw error;
  }
}

/** `audit records` and `audit export`, on the audit service's `GET /v1/audit/records`. */
export function registerAuditRecordCommands(audit: Command, context: () => CliContext): void {
  withFilters(
    audit
      .command('records')
      .description('audit records, oldest first, filtered (every filter given must match); never a password'),
  )
    .option('--limit <n>', 'at most this many', parseCount, 100)
    .action((o: FilterOptions & { limit: number }) =>
      context().run(async () => {
        const ctx = context();
        const items = await firstItems(o.limit, MAX_PAGE, (page) => ctx.services.audit.records(filterOf(o), page));
        ctx.out.result(items, () =>
          items.length === 0
            ? 'no audit record matches'
            : table(
                ['occurred', 'type', 'domain', 'user', 'operation', 'detail'],
                items.map((e) => [e.occurredAt, e.type, e.domainId, e.targetUpn, e.operationId, detailOf(e)]),
              ),
        );
        return ExitCode.OK;
      }),
    );

  withFilters(
    audit
      .command('export')
      .description(
        'every matching audit record as CSV or JSON, to stdout or a file, streamed a page at a time (progress on stderr)',
      ),
  )
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).makeOptionMandatory())
    .option('--output <file>', 'write to this file (0600, complete or not at all) instead of stdout')
    .option(
      '--page-size <n>',
      `records per request to the audit service (at most ${MAX_PAGE})`,
      parsePageSize,
      MAX_PAGE,
    )
    .action((o: FilterOptions & { format: 'csv' | 'json'; output?: string; pageSize: number }) =>
      context().run(async () => {
        const ctx = context();
        const run = (out: Writable): Promise<number> => exportRecords(ctx, filterOf(o), o.format, o.pageSize, out);
        const count = o.output ? await exportToFile(o.output, run) : await run(process.stdout);
        if (o.output) {
          ctx.out.result(
            { exported: count, file: o.output, format: o.format },
            () => `${count} audit records exported to ${o.output}`,
          );
        } else {
          ctx.out.progress(`${count} audit records exported`);
        }
        return ExitCode.OK;
      }),
    );
}
