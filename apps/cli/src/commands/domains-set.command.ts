import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { domainBody, type DomainBody } from '../clients/config.client';
import { ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { domainOf, domainOperand } from '../domain-option';
import { table } from '../output';
import { domainFieldsOf, fieldChanges, withDomainFields, type DomainFieldOptions } from './domain-fields';

interface SetOptions extends Omit<DomainFieldOptions, 'tlsServerName'> {
  file?: string;
  /** `--no-tls-ca`: trust the system store again. */
  tlsCa?: boolean;
  /** `--no-tls-server-name`: check the certificate against the URL's host again. */
  tlsServerName?: string | false;
}

/** What config-service derives and a change cannot set. */
const DERIVED = ['keyId', 'version', 'createdAt', 'updatedAt'];

/**
 * A `--file` as the changes it asks for: any fields of the domain (the output of `domains show
 * --json`, edited, will do), and the version it was read at when it says so.
 */
async function fileChanges(id: string, file: string): Promise<{ changes: Partial<DomainBody>; readAt?: number }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not a readable JSON document (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${file} must hold a JSON object of domain fields`);
  }
  const document = parsed as Record<string, unknown>;
  if (document['id'] !== undefined && document['id'] !== id) {
    throw new UsageError(`${file} describes domain ${JSON.stringify(document['id'])}, not ${id}`);
  }
  const changes = Object.fromEntries(Object.entries(document).filter(([k]) => k !== 'id' && !DERIVED.includes(k)));
  const version = document['version'];
  return { changes, ...(typeof version === 'number' ? { readAt: version } : {}) };
}

async function setDomain(ctx: CliContext, id: string, o: SetOptions): Promise<number> {
  const fromFile = o.file ? await fileChanges(id, o.file) : { changes: {} };
  const changes: Partial<DomainBody> = {
    ...fromFile.changes,
    ...(await domainFieldsOf({ ...o, tlsServerName: o.tlsServerName || undefined })),
    ...(o.tlsCa === false ? { tlsCaPem: null } : {}),
    ...(o.tlsServerName === false ? { tlsServerName: null } : {}),
  };
  if (o.tlsCa === false && o.tlsCaFile) throw new UsageError('give --tls-ca-file or --no-tls-ca, not both');
  if (Object.keys(changes).length === 0) {
    throw new UsageError('name at least one field to change (the flags of `domains add`, or --file)');
  }
  const current = await ctx.services.config.getDomain(id);
  const before = domainBody(current);
  if (fieldChanges(before, { ...before, ...changes }).length === 0) {
    ctx.out.result({ domain: current, changes: [] }, () => `nothing to change: domain ${id} already has these values`);
    return ExitCode.OK;
  }
  const target = ctx.changing('configUrl');
  const updated = await ctx.services.config.updateDomain(current, changes, fromFile.readAt);
  // What config-service stored, normalised (a suffix lowercased), not what was asked.
  const changed = fieldChanges(before, domainBody(updated));
  ctx.out.result({ domain: updated, changes: changed, ...target }, () =>
    [
      `domain ${id} changed (version ${current.version} -> ${updated.version}) at ${ctx.services.urls.configUrl}:`,
      table(
        ['field', 'before', 'after'],
        changed.map((c) => [c.field, c.before, c.after]),
      ),
    ].join('\n'),
  );
  return ExitCode.OK;
}

export function registerDomainSetCommand(domains: Command, context: () => CliContext): void {
  withDomainFields(
    domainOperand(domains.command('set'))
      .description(
        "change a domain's connection, account or other fields: only those named change; refused (exit 1, nothing changed) when the domain changed since it was read",
      )
      .option(
        '--file <path>',
        'a JSON document of the fields to change (e.g. `domains show --json`, edited: its version is then the one checked); flags override it',
      ),
  )
    .option('--no-tls-ca', "trust the system's CA store again instead of a configured CA")
    .option('--no-tls-server-name', "check the DC certificate against each URL's host again")
    .action((positional: string | undefined, o: SetOptions & { domain?: string }) =>
      context().run(() => setDomain(context(), domainOf('domains set', positional, o), o)),
    );
}
