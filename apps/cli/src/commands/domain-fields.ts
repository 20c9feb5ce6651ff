import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DomainBody } from '../clients/config.client';
import { CannotRunError } from '../cli-errors';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The flags `domains add` and `domains set` share: the domain's connection and account. */
export interface DomainFieldOptions {
  displayName?: string;
  ldapUrl?: string[];
  baseDn?: string;
  upnSuffix?: string[];
  bindDn?: string;
  bindSecretRef?: string;
  tlsCaFile?: string;
  tlsServerName?: string;
}

export function withDomainFields(command: Command): Command {
  return command
    .option('--display-name <name>', 'a name for people')
    .option('--ldap-url <url>', 'an ldaps:// URL of a DC (repeat for failover, tried in order)', collect)
    .option('--base-dn <dn>', 'the domain root, e.g. DC=corp,DC=example,DC=com')
    .option('--upn-suffix <suffix>', 'a UPN suffix routed to this domain (repeatable)', collect)
    .option('--bind-dn <dn>', "the service account's DN or UPN")
    .option('--bind-secret-ref <ref>', 'where its password is: env:NAME or file:/path (never the password)')
    .option('--tls-ca-file <path>', "PEM of the CA that issued the DCs' certificates")
    .option('--tls-server-name <name>', 'the name on the DC certificate, when URLs use addresses');
}

/** The fields the flags name, the CA read from its file; flags not given are left out. */
export async function domainFieldsOf(o: DomainFieldOptions): Promise<Partial<DomainBody>> {
  const tlsCaPem = o.tlsCaFile
    ? await readFile(o.tlsCaFile, 'utf8').catch(() => {
        throw new CannotRunError(`the CA file ${o.tlsCaFile} cannot be read`);
      })
    : undefined;
  return {
    ...(o.displayName ? { displayName: o.displayName } : {}),
    ...(o.ldapUrl ? { ldapUrls: o.ldapUrl } : {}),
    ...(o.baseDn ? { baseDn: o.baseDn } : {}),
    ...(o.upnSuffix ? { upnSuffixes: o.upnSuffix } : {}),
    ...(o.bindDn ? { bindDn: o.bindDn } : {}),
    ...(o.bindSecretRef ? { bindSecretRef: o.bindSecretRef } : {}),
    ...(tlsCaPem ? { tlsCaPem } : {}),
    ...(o.tlsServerName ? { tlsServerName: o.tlsServerName } : {}),
  };
}

/** A CA bundle in one line: its (first) certificate's subject and fingerprint, not the PEM. */
export function describeCa(pem: string): string {
  try {
    const cert = new X509Certificate(pem);
    const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? cert.subject.replace(/\n/g, ', ');
    return `CA "${cn}" (SHA-256 ${cert.fingerprint256.slice(0, 23)}…, until ${new Date(cert.validTo).toISOString().slice(0, 10)})`;
  } catch {
    return `PEM of ${pem.length} characters (not a readable certificate)`;
  }
}

/** One field as an operator reads it: a list on one line, the CA summarised, null as "none". */
export function describeField(field: string, value: unknown): string {
  if (value === null || value === undefined) return field === 'tlsCaPem' ? '(system store)' : '(none)';
  if (field === 'tlsCaPem' && typeof value === 'string') return describeCa(value);
  if (Array.isArray(value)) return value.map(String).join(', ') || '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/**
 * The fields that differ between two configurations, each as before → after. Secrets never
 * appear: the configuration holds only references to them (`bindSecretRef`).
 */
export function fieldChanges(before: DomainBody, after: DomainBody): FieldChange[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])] as Array<keyof DomainBody>;
  return fields
    .filter((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(after[f] ?? null))
    .map((f) => ({ field: f, before: describeField(f, before[f]), after: describeField(f, after[f]) }));
}
