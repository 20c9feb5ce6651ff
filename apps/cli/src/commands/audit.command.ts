import type { Command } from 'commander';
import { verifyAuditChains } from '@writeback/audit-ledger';
import { createPrismaClient } from '@writeback/persistence';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { registerAuditRecordCommands } from './audit-records.command';

export function registerAuditCommands(program: Command, context: () => CliContext): void {
  const audit = program.command('audit').description('the audit ledger');
  registerAuditRecordCommands(audit, context);
  audit
    .command('verify')
    .description(
      "recompute every domain's audit hash chain in WRITEBACK_DATABASE_URL and name the first record that does not hold (exit 1 when broken)",
    )
    .action(() =>
      context().run(async () => {
        const ctx = context();
        const url = ctx.env['WRITEBACK_DATABASE_URL'];
        if (!url) throw new UsageError('audit verify reads WRITEBACK_DATABASE_URL, which is unset');
        const prisma = createPrismaClient(url);
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
