import { readFile } from 'node:fs/promises';
import { read } from 'read';
import type { DomainConfigView } from '@writeback/contracts';
import type { BindCredentials, LdapsEndpoint } from '@writeback/directory';
import { resolveSecretRef } from '@writeback/platform';
import { CannotRunError, UsageError } from './cli-errors';
import type { CliContext } from './cli-context';

export interface DomainAccess {
  domain: DomainConfigView;
  endpoints: LdapsEndpoint[];
  serviceAccount: BindCredentials;
}

export interface ServiceAccountOverrides {
  /** Check another account than the configured one (e.g. before switching to it). */
  bindDn?: string;
  bindSecretRef?: string;
}

/**
 * A domain as config-service has it, with the service account's password resolved here, from
 * the reference (env:NAME, file:/path) in this shell's environment: the CLI runs where the
 * operator can read the secret, the password itself is never sent anywhere but the DC.
 */
export async function domainAccess(
  ctx: CliContext,
  domainId: string,
  overrides: ServiceAccountOverrides = {},
): Promise<DomainAccess> {
  const domain = await ctx.services.config.getDomain(domainId);
  const ref = overrides.bindSecretRef ?? domain.bindSecretRef;
  const password = await resolveSecretRef(ref, ctx.env).catch((error: Error) => {
    throw new CannotRunError(`${error.message}: the service account password must be readable here (${ref})`);
  });
  return {
    domain,
    endpoints: domain.ldapUrls.map((url) => ({
      url,
      tlsCaPem: domain.tlsCaPem,
      tlsServerName: domain.tlsServerName,
      timeoutMs: 15_000,
    })),
    serviceAccount: { bindDn: overrides.bindDn ?? domain.bindDn, password },
  };
}

/**
 * An administrator's password for one command: from a file, from WRITEBACK_ADMIN_PASSWORD, or
 * typed at a prompt that does not echo. Never a flag value, which the process list shows.
 */
export async function adminPassword(ctx: CliContext, file: string | undefined, who: string): Promise<string> {
  if (file) {
    return (
      await readFile(file, 'utf8').catch(() => {
        throw new CannotRunError(`the password file ${file} cannot be read`);
      })
    ).replace(/\r?\n$/, '');
  }
  const fromEnv = ctx.env['WRITEBACK_ADMIN_PASSWORD'];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError('give --admin-password-file or WRITEBACK_ADMIN_PASSWORD (no terminal to prompt on)');
  }
  return read({ prompt: `Password for ${who}: `, silent: true, replace: '', output: process.stderr });
}
