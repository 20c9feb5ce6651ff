import { AndFilter, Attribute, Change, Client, EqualityFilter, escapeFilter } from 'ldapts';
import {
  classifyDirectoryFailure,
  missingRight,
  Reasons,
  type ClassifiedFailure,
  type DelegatedRight,
} from '@writeback/domain';
import type { Reason } from '@writeback/contracts';
import { POLICY_HINTS_OIDS, PolicyHintsControl } from './policy-hints.control';

export interface DirectoryConnectionConfig {
  /** Tried in order; the next one is used when a DC cannot be reached. */
  urls: string[];
  baseDn: string;
  /** Service account DN or UPN. */
  bindDn: string;
  bindPassword: string;
  tlsCaPem?: string | null;
  /** Name the DC's certificate is issued to, when the URL uses an address. */
  tlsServerName?: string | null;
  timeoutMs?: number;
}

/** Who may be written for; empty lists mean anyone under the base DN. */
export interface WritebackScope {
  organizationalUnits: readonly string[];
  groups: readonly string[];
  ldapFilter: string | null;
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups too. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

export interface PasswordWriteback {
  userPrincipalName: string;
  /** Absent for an unlock without a password change. */
  newPassword?: string;
  unlock: boolean;
  forceChangeAtNextLogon: boolean;
  scope?: WritebackScope;
}

export type WritebackAction = 'password' | 'unlock' | 'force-change-at-next-logon';

export interface WritebackResult {
  domainController: string;
  actions: WritebackAction[];
  policyHintsUsed: boolean;
}

/**
 * A failure already classified by the domain rules; `detail` is the raw directory text,
 * for operators' logs only.
 */
export class DirectoryError extends Error {
  readonly reason: Reason;
  readonly retriable: boolean;

  constructor(
    classified: ClassifiedFailure,
    readonly detail: string,
    readonly resultCode?: number,
  ) {
    super(classified.reason.message);
    this.name = 'DirectoryError';
    this.reason = classified.reason;
    this.retriable = classified.retriable;
  }
}

const UF_DONT_EXPIRE_PASSWD = 0x10000;

function toDirectoryError(error: unknown): DirectoryError {
  if (error instanceof DirectoryError) return error;
  const code = (error as { code?: unknown }).code;
  const resultCode = typeof code === 'number' ? code : undefined;
  const message =
    error instanceof Error ? `${typeof code === 'string' ? `${code} ` : ''}${error.message}` : String(error);
  return new DirectoryError(classifyDirectoryFailure({ resultCode, message }), message, resultCode);
}

const isConnectionLevel = (error: DirectoryError): boolean =>
  error.reason.code === Reasons.DC_UNAVAILABLE.code || error.reason.code === Reasons.TLS_FAILURE.code;

const encodePassword = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

/** ldapts adapter for Active Directory password writes; always over TLS. */
export class LdapDirectory {
  constructor(private readonly config: DirectoryConnectionConfig) {
    for (const url of config.urls) {
      if (!url.toLowerCase().startsWith('ldaps://')) {
        throw new Error(`refusing ${url}: password writes need LDAPS`);
      }
    }
    if (config.urls.length === 0) throw new Error('no LDAP URL configured');
  }

  async applyWriteback(write: PasswordWriteback): Promise<WritebackResult> {
    let last: DirectoryError | undefined;
    for (const url of this.config.urls) {
      try {
        return await this.withClient(url, (client) => this.apply(client, url, write));
      } catch (error) {
        last = toDirectoryError(error);
        if (!isConnectionLevel(last)) throw last;
      }
    }
    throw last as DirectoryError;
  }

  private async withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({
      url,
      timeout: this.config.timeoutMs ?? 10_000,
      connectTimeout: this.config.timeoutMs ?? 10_000,
      tlsOptions: {
        ...(this.config.tlsCaPem ? { ca: [this.config.tlsCaPem] } : {}),
        ...(this.config.tlsServerName ? { servername: this.config.tlsServerName } : {}),
        minVersion: 'TLSv1.2',
      },
    });
    try {
      await client.bind(this.config.bindDn, this.config.bindPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async apply(client: Client, url: string, write: PasswordWriteback): Promise<WritebackResult> {
    const user = await this.findUser(client, write.userPrincipalName);
    if (user.protected) {
      throw new DirectoryError({ reason: Reasons.PROTECTED_ACCOUNT, retriable: false }, `${user.dn} has adminCount=1`);
    }
    // Out-of-scope users are refused before anything is written.
    if (write.scope && !(await this.inScope(client, user.dn, write.scope))) {
      throw new DirectoryError({ reason: Reasons.USER_OUT_OF_SCOPE, retriable: false }, `${user.dn} is out of scope`);
    }
    const actions: WritebackAction[] = [];
    let policyHintsUsed = false;
    if (write.newPassword !== undefined) {
      const hintsOid = await this.policyHintsOid(client);
      const change = new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'unicodePwd', values: [encodePassword(write.newPassword)] }),
      });
      await needing('Reset Password', () =>
        client.modify(user.dn, change, hintsOid ? new PolicyHintsControl(hintsOid) : undefined),
      );
      policyHintsUsed = hintsOid !== undefined;
      actions.push('password');
    }
    if (write.unlock) {
      await needing('Write lockoutTime', () => client.modify(user.dn, replace('lockoutTime', '0')));
      actions.push('unlock');
    }
    // AD sets pwdLastSet itself on the password write; expiring it is a separate change, and
    // accounts whose password never expires are left alone.
    if (write.forceChangeAtNextLogon && (user.userAccountControl & UF_DONT_EXPIRE_PASSWD) === 0) {
      await needing('Write pwdLastSet', () => client.modify(user.dn, replace('pwdLastSet', '0')));
      actions.push('force-change-at-next-logon');
    }
    return { domainController: new URL(url).hostname, actions, policyHintsUsed };
  }

  private async findUser(
    client: Client,
    upn: string,
  ): Promise<{ dn: string; userAccountControl: number; protected: boolean }> {
    const { searchEntries } = await client.search(this.config.baseDn, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [
          new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
          new EqualityFilter({ attribute: 'userPrincipalName', value: upn }),
        ],
      }),
      attributes: ['userAccountControl', 'adminCount'],
      sizeLimit: 2,
    });
    if (searchEntries.length === 0) {
      throw new DirectoryError({ reason: Reasons.USER_NOT_FOUND, retriable: false }, `no entry for ${upn}`);
    }
    if (searchEntries.length > 1) {
      throw new DirectoryError(
        { reason: Reasons.USER_MULTIPLE_MATCHES, retriable: false },
        `several entries for ${upn}`,
      );
    }
    const entry = searchEntries[0] as (typeof searchEntries)[number];
    return {
      dn: entry.dn,
      userAccountControl: Number(entry['userAccountControl'] ?? 0),
      // AdminSDHolder-protected (privileged) accounts: never written back.
      protected: String(entry['adminCount'] ?? '0') === '1',
    };
  }

  private async inScope(client: Client, dn: string, scope: WritebackScope): Promise<boolean> {
    const normalise = (value: string): string => value.replace(/\s*,\s*/g, ',').toLowerCase();
    const userDn = normalise(dn);
    if (
      scope.organizationalUnits.length > 0 &&
      !scope.organizationalUnits.some((ou) => userDn.endsWith(`,${normalise(ou)}`))
    ) {
      return false;
    }
    const conditions = [
      scope.groups.length > 0
        ? `(|${scope.groups.map((g) => escapeFilter`(memberOf:${IN_CHAIN}:=${g})`).join('')})`
        : '',
      scope.ldapFilter ?? '',
    ].join('');
    if (!conditions) return true;
    const { searchEntries } = await client.search(dn, {
      scope: 'base',
      filter: `(&(objectClass=user)${conditions})`,
      attributes: ['distinguishedName'],
    });
    return searchEntries.length === 1;
  }

  /** Detected, never assumed: Samba does not offer the control, Windows DCs do. */
  private async policyHintsOid(client: Client): Promise<string | undefined> {
    const { searchEntries } = await client.search('', {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['supportedControl'],
    });
    const raw = searchEntries[0]?.['supportedControl'] ?? [];
    const supported = new Set((Array.isArray(raw) ? raw : [raw]).map(String));
    return POLICY_HINTS_OIDS.find((oid) => supported.has(oid));
  }
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}

const LDAP_INSUFFICIENT_ACCESS = 50;

/** Runs one write; a refusal for lack of rights names the delegated right it needed. */
async function needing<T>(right: DelegatedRight, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const failure = toDirectoryError(error);
    if (failure.resultCode !== LDAP_INSUFFICIENT_ACCESS) throw failure;
    throw new DirectoryError({ reason: missingRight(right), retriable: true }, failure.detail, failure.resultCode);
  }
}
