import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { type DomainConfigView, type DomainSwitchChanges, isValidDomainId, ScimPush } from '@writeback/contracts';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { DOMAIN_FLAGS, domainOf, domainOperand } from '../domain-option';
import { table } from '../output';
import { decideTargets } from '../safety';
import { collect, domainFieldsOf, withDomainFields, type DomainFieldOptions } from './domain-fields';
import { registerDomainSetCommand } from './domains-set.command';
import { createDomainKey } from './keys.command';

const onOff = (value: boolean): string => (value ? 'on' : 'off');

function describeDomain(d: DomainConfigView): string {
  return table(
    ['setting', 'value'],
    [
      ['id', d.id],
      ['display name', d.displayName],
      ['LDAPS URLs', d.ldapUrls.join('\n')],
      ['base DN', d.baseDn],
      ['UPN suffixes', d.upnSuffixes.join(', ')],
      ['service account', d.bindDn],
      ['its password', d.bindSecretRef],
      ['TLS CA', d.tlsCaPem ? 'configured' : 'system store'],
      ['key id', d.keyId],
      ['writeback', onOff(d.writebackEnabled)],
      ['engine owns domain', onOff(d.engineOwnsDomain)],
      ['unlock without reset', onOff(d.allowUnlockWithoutReset)],
      ['SCIM push', d.scimPush],
      ['scope: OUs', d.scope.organizationalUnits.join('\n') || '(whole domain)'],
      ['scope: groups', d.scope.groups.join('\n') || '(any)'],
      ['scope: filter', d.scope.ldapFilter ?? '(none)'],
      ['protected groups', d.scope.protectedGroups.join('\n') || "(AD's own only)"],
      ['policy overrides', JSON.stringify(d.policy)],
      ['version', d.version],
      ['updated', d.updatedAt],
    ],
  );
}

interface AddOptions extends DomainFieldOptions {
  file?: string;
  publicKey?: string;
  keyDir?: string;
  enable?: boolean;
  allowUnlockWithoutReset?: boolean;
}

async function addDomain(ctx: CliContext, id: string, o: AddOptions): Promise<number> {
  if (!isValidDomainId(id)) throw new UsageError('the domain id must be lowercase letters, digits and dashes');
  const fromFile = o.file ? (JSON.parse(await readFile(o.file, 'utf8')) as Record<string, unknown>) : {};
  let publicKey = o.publicKey ?? (fromFile['publicKey'] as string | undefined);
  let keyNote: string | undefined;
  if (!publicKey) {
    if (!o.keyDir) throw new UsageError('give --public-key, or --key-dir to generate the domain key pair there');
    const key = await createDomainKey(id, o.keyDir);
    publicKey = key.publicKey;
    keyNote = `generated key ${key.keyId}; private key in ${key.privateKeyFile} (give it to the executor)`;
  }
  const body = {
    ...fromFile,
    id,
    ...(await domainFieldsOf(o)),
    publicKey,
    // Like the seed's check box: writeback stays off until an operator enables it.
    writebackEnabled: o.enable ?? (fromFile['writebackEnabled'] as boolean | undefined) ?? false,
    ...(o.allowUnlockWithoutReset ? { allowUnlockWithoutReset: true } : {}),
  };
  const target = ctx.changing('configUrl');
  const created = await ctx.services.config.addDomain(body);
  ctx.out.result({ domain: created, ...(keyNote ? { note: keyNote } : {}), ...target }, () =>
    [
      `domain ${created.id} added (writeback ${onOff(created.writebackEnabled)})`,
      ...(keyNote ? [keyNote] : []),
      ...(created.writebackEnabled ? [] : [`enable it with: writeback enable --domain ${created.id}`]),
    ].join('\n'),
  );
  return ExitCode.OK;
}

async function setSwitches(
  ctx: CliContext,
  domains: string[],
  switches: DomainSwitchChanges,
): Promise<DomainConfigView[]> {
  const updated: DomainConfigView[] = [];
  for (const id of domains) updated.push(await ctx.services.config.setSwitches(id, switches));
  return updated;
}

async function targetDomains(
  ctx: CliContext,
  command: string,
  options: { domain?: string; all?: boolean; yes?: boolean },
): Promise<string[]> {
  const target = decideTargets(command, options);
  if ('domain' in target) return [target.domain];
  const where = ctx.services.urls.configUrl;
  const listIds = async (): Promise<string[]> => (await ctx.services.config.listDomains()).map((d) => d.id);
  let ids: string[] | undefined;
  await ctx.confirm(options.yes, `${command} --all changes every domain at ${where}`, async () => {
    ids = await listIds();
    return `${command} writeback for all ${ids.length} domains (${ids.join(', ')}) at ${where}?`;
  });
  ids ??= await listIds();
  if (ids.length === 0) throw new UsageError('no domain is configured; add one with `writeback domains add`');
  return ids;
}

function parseOnOff(value: string): boolean {
  if (['on', 'true', 'yes'].includes(value)) return true;
  if (['off', 'false', 'no'].includes(value)) return false;
  throw new UsageError(`expected on or off, got "${value}"`);
}

function switchesTable(updated: DomainConfigView[]): string {
  return table(
    ['domain', 'writeback', 'engine owns domain', 'unlock without reset', 'SCIM push', 'version'],
    updated.map((d) => [
      d.id,
      onOff(d.writebackEnabled),
      onOff(d.engineOwnsDomain),
      onOff(d.allowUnlockWithoutReset),
      d.scimPush,
      d.version,
    ]),
  );
}

interface ChangeRecord {
  changedAt: string;
  changedBy: { subject: string; issuer: string | null };
  action: string;
  changedFields: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

function describeChange(c: ChangeRecord): string {
  const show = (v: unknown): string => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  return c.changedFields.map((f) => `${f}: ${show(c.before?.[f])} -> ${show(c.after?.[f])}`).join('\n');
}

export function registerDomainCommands(program: Command, context: () => CliContext): void {
  const domains = program.command('domains').description('the on-premises domains Writeback writes back to');

  withDomainFields(
    domainOperand(domains.command('add'))
      .description('add a domain (writeback stays off until `writeback enable`)')
      .option('--file <path>', 'a JSON document with the domain configuration; flags override it'),
  )
    .option('--public-key <key>', "the executor's public key (from `writeback keys generate`)")
    .option('--key-dir <dir>', 'generate the domain key pair into this directory instead')
    .option('--enable', 'enable writeback at once')
    .option('--allow-unlock-without-reset', 'allow self-service unlock without a password reset')
    .action((id: string | undefined, options: AddOptions & { domain?: string }) =>
      context().run(() => addDomain(context(), domainOf('domains add', id, options), options)),
    );

  registerDomainSetCommand(domains, context);

  domains
    .command('list')
    .description('list the configured domains and their switches')
    .action(() =>
      context().run(async () => {
        const ctx = context();
        const items = await ctx.services.config.listDomains();
        ctx.out.result(items, () =>
          items.length === 0
            ? 'no domain is configured; add one with `writeback domains add`'
            : table(
                [
                  'domain',
                  'name',
                  'UPN suffixes',
                  'writeback',
                  'engine owns',
                  'unlock w/o reset',
                  'SCIM push',
                  'key id',
                ],
                items.map((d) => [
                  d.id,
                  d.displayName,
                  d.upnSuffixes.join(', '),
                  onOff(d.writebackEnabled),
                  onOff(d.engineOwnsDomain),
                  onOff(d.allowUnlockWithoutReset),
                  d.scimPush,
                  d.keyId,
                ]),
              ),
        );
        return ExitCode.OK;
      }),
    );

  domainOperand(domains.command('show'))
    .description("one domain's configuration (secrets appear as references only)")
    .action((id: string | undefined, options: { domain?: string }) =>
      context().run(async () => {
        const d = await context().services.config.getDomain(domainOf('domains show', id, options));
        context().out.result(d, () => describeDomain(d));
        return ExitCode.OK;
      }),
    );

  domainOperand(domains.command('remove'))
    .description('remove a domain; requests for it are refused from then on (asks on a terminal, else needs --yes)')
    .option('-y, --yes', 'confirm the removal')
    .action((positional: string | undefined, options: { domain?: string; yes?: boolean }) =>
      context().run(async () => {
        const ctx = context();
        const id = domainOf('domains remove', positional, options);
        await ctx.confirm(options.yes, `removing ${id} stops its writeback`, () =>
          Promise.resolve(`remove domain ${id} at ${ctx.services.urls.configUrl}?`),
        );
        const target = ctx.changing('configUrl');
        await ctx.services.config.removeDomain(id);
        ctx.out.result({ removed: id, ...target }, () => `domain ${id} removed`);
        return ExitCode.OK;
      }),
    );

  domainOperand(domains.command('history'))
    .description('who changed what in a domain configuration, and when (from the audit service)')
    .action((positional: string | undefined, options: { domain?: string }) =>
      context().run(async () => {
        const ctx = context();
        const id = domainOf('domains history', positional, options);
        const changes = (await ctx.services.audit.domainChanges(id)).map((r) => r.data as ChangeRecord);
        ctx.out.result(changes, () =>
          table(
            ['when', 'who', 'action', 'change'],
            changes.map((c) => [
              c.changedAt,
              c.changedBy.subject,
              c.action,
              c.action === 'updated' ? describeChange(c) : '',
            ]),
          ),
        );
        return ExitCode.OK;
      }),
    );

  const scope = program.command('scope').description("who a domain's writeback may reach");
  scope
    .command('set')
    .description('replace a domain scope: users under the OUs, in the (nested) groups, matching the filter')
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .option('--ou <dn>', 'an OU whose users are in scope (repeatable)', collect)
    .option('--group <dn>', 'a group whose (nested) members are in scope (repeatable)', collect)
    .option('--filter <ldap-filter>', 'an LDAP filter users must also match, e.g. (department=Sales)')
    .option(
      '--protected-group <dn>',
      "a group whose (nested) members are never written for, on top of AD's protected groups (repeatable; replaces the list, which other options keep)",
      collect,
    )
    .option('--clear', 'the whole domain (no OU, group or filter; protected groups stay)')
    .action(
      (options: {
        domain: string;
        ou?: string[];
        group?: string[];
        filter?: string;
        protectedGroup?: string[];
        clear?: boolean;
      }) =>
        context().run(async () => {
          const ctx = context();
          if (!options.clear && !options.ou && !options.group && !options.filter && !options.protectedGroup) {
            throw new UsageError(
              'give --ou, --group, --filter and/or --protected-group, or --clear for the whole domain',
            );
          }
          const current = await ctx.services.config.getDomain(options.domain);
          const target = ctx.changing('configUrl');
          const updated = await ctx.services.config.updateDomain(current, {
            scope: {
              organizationalUnits: options.clear ? [] : (options.ou ?? []),
              groups: options.clear ? [] : (options.group ?? []),
              ldapFilter: options.clear ? null : (options.filter ?? null),
              protectedGroups: options.protectedGroup ?? current.scope.protectedGroups,
            },
          });
          ctx.out.result({ ...updated.scope, domain: updated.id, ...target }, () =>
            [
              `scope of ${updated.id} set:`,
              table(
                ['OUs', 'groups (nested)', 'LDAP filter', 'protected groups (nested)'],
                [
                  [
                    updated.scope.organizationalUnits.join('\n') || '(whole domain)',
                    updated.scope.groups.join('\n') || '(any)',
                    updated.scope.ldapFilter ?? '(none)',
                    updated.scope.protectedGroups.join('\n') || "(AD's own only)",
                  ],
                ],
              ),
            ].join('\n'),
          );
          return ExitCode.OK;
        }),
    );

  for (const [name, value] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    program
      .command(name)
      .description(
        `${name} password writeback for one domain (--domain) or every domain (--all) (Set-AADCloudSyncPasswordWritebackConfiguration -Enable $${String(value)})`,
      )
      .option(DOMAIN_FLAGS, 'this domain')
      .option('--all', 'every domain (asks on a terminal, else needs --yes)')
      .option('-y, --yes', 'with --all: change every domain without asking')
      .action((options: { domain?: string; all?: boolean; yes?: boolean }) =>
        context().run(async () => {
          const ctx = context();
          const domains = await targetDomains(ctx, name, options);
          const target = ctx.changing('configUrl');
          const updated = await setSwitches(ctx, domains, { writebackEnabled: value });
          ctx.out.result({ domains: updated, ...target }, () => switchesTable(updated));
          return ExitCode.OK;
        }),
      );
  }

  program
    .command('switches')
    .description("set a domain's switches (the seed's On-premises integration page)")
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .option('--writeback <on|off>', 'Enable password write back')
    .option('--engine-owns-domain <on|off>', 'this engine writes back for the domain (off: another engine owns it)')
    .option('--allow-unlock-without-reset <on|off>', 'allow users to unlock accounts without resetting their password')
    .addOption(
      // Commander refuses any other value as bad usage (exit 2) and lists the choices in the help.
      new Option(
        '--scim-push <mode>',
        "what a SCIM client's password push is: refused (off), the user's own change, or a reset by the client (docs/policy.md)",
      ).choices(ScimPush.options),
    )
    .action(
      (options: {
        domain: string;
        writeback?: string;
        engineOwnsDomain?: string;
        allowUnlockWithoutReset?: string;
        scimPush?: ScimPush;
      }) =>
        context().run(async () => {
          const ctx = context();
          const switches: DomainSwitchChanges = {
            ...(options.writeback ? { writebackEnabled: parseOnOff(options.writeback) } : {}),
            ...(options.engineOwnsDomain ? { engineOwnsDomain: parseOnOff(options.engineOwnsDomain) } : {}),
            ...(options.allowUnlockWithoutReset
              ? { allowUnlockWithoutReset: parseOnOff(options.allowUnlockWithoutReset) }
              : {}),
            ...(options.scimPush ? { scimPush: options.scimPush } : {}),
          };
          if (Object.keys(switches).length === 0) throw new UsageError('name at least one switch');
          const target = ctx.changing('configUrl');
          const updated = await setSwitches(ctx, [options.domain], switches);
          ctx.out.result({ domains: updated, ...target }, () => switchesTable(updated));
          return ExitCode.OK;
        }),
    );
}
