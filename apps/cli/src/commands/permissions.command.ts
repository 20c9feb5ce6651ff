import type { Command } from 'commander';
import {
  checkPermissions,
  grantWritebackRights,
  withDirectoryBind,
  type PermissionsReport,
} from '@writeback/directory';
import { ExitCode } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { DOMAIN_FLAGS } from '../domain-option';
import { adminPassword, domainAccess } from '../domain-access';
import { table } from '../output';

const RIGHT_HELP: Record<string, string> = {
  granted: 'granted',
  missing: 'MISSING',
  denied: 'DENIED by an ACE',
};

const LIST_LIMIT = 20;

function renderReport(domainId: string, report: PermissionsReport): string {
  const lines = [
    `service account ${report.account.dn} (${report.account.sid}) in ${domainId}`,
    table(
      ['right (seed troubleshooting list)', 'state', 'evidence'],
      report.rootRights.map((f) => [f.right.label, RIGHT_HELP[f.state], f.evidence.join('\n')]),
    ),
    `${report.usersChecked} users in scope checked` +
      (report.protectedUsersSkipped ? `, ${report.protectedUsersSkipped} protected (adminCount=1) skipped` : ''),
  ];
  if (report.inheritanceDisabled.length > 0) {
    lines.push(
      'Inheritance is disabled on these objects, so the rights on the domain root do not reach the users below them:',
      table(
        ['object', 'class'],
        report.inheritanceDisabled.slice(0, LIST_LIMIT).map((o) => [o.dn, o.objectClass]),
      ),
    );
  }
  if (report.usersLackingRights.length > 0) {
    lines.push(
      `users in scope the rights do not reach (${report.usersLackingRights.length}):`,
      table(
        ['user', 'missing'],
        report.usersLackingRights.slice(0, LIST_LIMIT).map((u) => [u.dn, u.missing.join(', ')]),
      ),
    );
  }
  const more = Math.max(report.inheritanceDisabled.length, report.usersLackingRights.length) - LIST_LIMIT;
  if (more > 0) lines.push(`(${more} more: use --json for the full list)`);
  const fixes = [
    ...(report.rootRights.every((f) => f.state === 'granted')
      ? []
      : [`run \`writeback permissions grant --domain ${domainId}\``]),
    ...(report.rootRights.some((f) => f.state === 'denied') ? ['remove the deny ACEs shown'] : []),
    ...(report.inheritanceDisabled.length > 0 ? ['re-enable inheritance on the objects listed'] : []),
  ];
  lines.push(
    report.ok
      ? 'PASS: the service account can write back for every user in scope'
      : `FAIL: ${fixes.join(', ') || 'grant the rights on the users listed'} (rights can take up to an hour to replicate to every DC)`,
  );
  return lines.join('\n');
}

export function registerPermissionCommands(program: Command, context: () => CliContext): void {
  const permissions = program
    .command('permissions')
    .description("the service account's rights in AD (the seed's troubleshooting list)");

  permissions
    .command('check')
    .description(
      'connect as the service account and report, right by right, what it can do, and where inheritance stops the rights',
    )
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .option('--bind-dn <dn>', 'check this account instead of the configured one')
    .option('--bind-secret-ref <ref>', 'its password reference (env:NAME or file:/path)')
    .action((o: { domain: string; bindDn?: string; bindSecretRef?: string }) =>
      context().run(async () => {
        const ctx = context();
        const access = await domainAccess(ctx, o.domain, o);
        const endpoint = access.endpoints[0];
        if (!endpoint) throw new Error(`${o.domain} has no LDAPS URL`);
        ctx.out.progress(`binding to ${endpoint.url} as ${access.serviceAccount.bindDn}`);
        const report = await withDirectoryBind(endpoint, access.serviceAccount, (client) =>
          checkPermissions(client, {
            account: access.serviceAccount.bindDn,
            baseDn: access.domain.baseDn,
            scope: access.domain.scope,
            onProgress: (n) => ctx.out.progress(`${n} users checked`),
          }),
        );
        ctx.out.result({ domain: o.domain, ...report }, () => renderReport(o.domain, report));
        return report.ok ? ExitCode.OK : ExitCode.FAILED;
      }),
    );

  permissions
    .command('grant')
    .description(
      'add exactly the ACEs the service account lacks to the domain root, as an administrator (Set-AADCloudSyncPermissions -PermissionType PasswordWriteBack); idempotent',
    )
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--admin <dn-or-upn>', 'an enterprise/domain administrator to bind as')
    .option(
      '--admin-password-file <path>',
      "the administrator's password (else WRITEBACK_ADMIN_PASSWORD, else a prompt)",
    )
    .option(
      '--service-account <name>',
      'grant to this account (DN, UPN or sAMAccountName) instead of the configured one',
    )
    .action((o: { domain: string; admin: string; adminPasswordFile?: string; serviceAccount?: string }) =>
      context().run(async () => {
        const ctx = context();
        const config = await ctx.services.config.getDomain(o.domain);
        const password = await adminPassword(ctx, o.adminPasswordFile, o.admin);
        const endpoint = {
          url: config.ldapUrls[0] as string,
          tlsCaPem: config.tlsCaPem,
          tlsServerName: config.tlsServerName,
          timeoutMs: 15_000,
        };
        const serviceAccount = o.serviceAccount ?? config.bindDn;
        const target = ctx.changing({ what: `the DACL of ${config.baseDn}`, endpoint: endpoint.url });
        ctx.out.progress(`binding to ${endpoint.url} as ${o.admin}`);
        const result = await withDirectoryBind(endpoint, { bindDn: o.admin, password }, (client) =>
          grantWritebackRights(client, { baseDn: config.baseDn, serviceAccount }),
        );
        ctx.out.result({ domain: o.domain, ...result, ...target }, () =>
          result.added.length === 0
            ? `nothing to change: ${result.account.dn} already holds every right on ${config.baseDn}`
            : [
                `added ${result.added.length} ACEs to ${config.baseDn} for ${result.account.dn}:`,
                ...result.added.map((ace) => `  ${ace}`),
                'They can take up to an hour to replicate to every DC; check with `writeback permissions check`.',
              ].join('\n'),
        );
        return ExitCode.OK;
      }),
    );
}
