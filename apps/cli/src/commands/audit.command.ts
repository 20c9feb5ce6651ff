import type { Command } from 'commander';
import { verifyAuditChains } from '@writeback/audit-ledger';
import { createPrismaClient } from '@writeback/persistence';
import { ExitCode } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { checkDatabaseReachable, DATABASE_CONNECT_TIMEOUT_MS, resolveDatabaseUrl } from '../local-database';
import { registerAuditRecordCommands } from './audit-records.command';

export function registerAuditCommands(program: Command, context: () => CliContext): void {
  const audit = program.command('audit').description('the audit ledger');
  registerAuditRecordCommands(audit, context);
  audit
    .command('verify')
    .description(
      "recompute every domain's audit hash chain in WRITEBACK_DATABASE_URL (unset: the database of `npm start` on this machine) and name the first record that does not hold (exit 1 when broken)",
    )
    .action(() =>
      context().run(async () => {
        const ctx = context();
        const { url, from } = await resolveDatabaseUrl(ctx.env);
        ctx.out.progress(`database: ${from}`);
        await checkDatabaseReachable(url);
        const prisma = createPrismaClient(url, { connectTimeoutMs: DATABASE_CONNECT_TIMEOUT_MS });
        try {
          const result = await verifyAuditChains(prisma);
          ctx.out.result(result, () => {
            if (result.ok) return `audit verified: ${result.records} records in ${result.chains} chains`;
            const b = result.firstBroken;
            return `audit chain BROKEN at record ${b?.recordId} (event ${b?.eventId}, chain ${b?.chain}, position ${b?.chainSeq}): ${b?.problem}`;
          });
          return result.ok ? ExitCode.OK : ExitCode.FAILED;
        } finally {
          await prisma.$disconnect();
        }
      }),
    );
}
