import { AndFilter, Attribute, Change, EqualityFilter, type Client } from 'ldapts';
import { Reasons } from '@writeback/domain';
import { LdapConnectionPool } from './connection-pool';
import { DirectoryError, needing } from './directory-error';
import type { LdapRequests } from './ldap-telemetry';
import { passwordVersionOf } from './password-version';
import { detectPolicyHints, PolicyHintsControl } from './policy-hints.control';
import { scopeConditions, underScopeOus, type WritebackScope } from './scope-filter';

export interface DirectoryConnectionConfig {
  /** The domain's id: a label of its LDAP spans and metrics. */
  domainId: string;
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
  /** LDAPS connections kept open to the domain's DCs (default 4). */
  maxConnections?: number;
  /** Idle connections older than this are closed, not reused (default 30 s). */
  idleMs?: number;
}

export interface PasswordWriteback {
  userPrincipalName: string;
  /** Absent for an unlock without a password change. */
  newPassword?: string;
  unlock: boolean;
  forceChangeAtNextLogon: boolean;
  scope?: WritebackScope;
  /**
   * Asked right before the password is written, with the directory's count of the user's
   * password writes (null when it cannot be read): 'skip' when that count shows the password
   * was written already, by an earlier try whose answer was lost. Makes the write idempotent.
   */
  beforePasswordWrite?: (user: { dn: string; passwordVersion: number | null }) => Promise<'write' | 'skip'>;
}

export type WritebackAction = 'password' | 'unlock' | 'force-change-at-next-logon';

export interface WritebackResult {
  domainController: string;
  actions: WritebackAction[];
  policyHintsUsed: boolean;
}

const UF_DONT_EXPIRE_PASSWD = 0x10000;

const encodePassword = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

/** ldapts adapter for Active Directory password writes; always over TLS, through a pool. */
export class LdapDirectory {
  private readonly pool: LdapConnectionPool;
  /**
   * The hints control each DC offers, read once per DC rather than once per write (a rootDSE
   * search per reset). A DC upgraded to offer it is seen when the directory is rebuilt, i.e. on
   * the domain's next configuration change or restart.
   */
  private readonly policyHints = new Map<string, Promise<string | undefined>>();

  constructor(private readonly config: DirectoryConnectionConfig) {
    for (const url of config.urls) {
      if (!url.toLowerCase().startsWith('ldaps://')) {
        throw new Error(`refusing ${url}: password writes need LDAPS`);
      }
    }
    if (config.urls.length === 0) throw new Error('no LDAP URL configured');
    this.pool = new LdapConnectionPool({
      domainId: config.domainId,
      urls: config.urls,
      bindDn: config.bindDn,
      bindPassword: config.bindPassword,
      tlsCaPem: config.tlsCaPem ?? null,
      tlsServerName: config.tlsServerName ?? null,
      timeoutMs: config.timeoutMs ?? 10_000,
      maxConnections: config.maxConnections ?? 4,
      idleMs: config.idleMs ?? 30_000,
    });
  }

  applyWriteback(write: PasswordWriteback): Promise<WritebackResult> {
    return this.pool.use((client, url, ldap) => this.apply(client, url, ldap, write));
  }

  /** Resolves when one of the domain's DCs answers over LDAPS as the service account. */
  async check(): Promise<void> {
    await this.pool.use((client, _url, ldap) =>
      ldap('search', { 'ldap.scope': 'base' }, () =>
        client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['currentTime'] }),
      ),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async apply(
    client: Client,
    url: string,
    ldap: LdapRequests,
    write: PasswordWriteback,
  ): Promise<WritebackResult> {
    const user = await this.findUser(client, ldap, write.userPrincipalName);
    if (user.protected) {
      throw new DirectoryError({ reason: Reasons.PROTECTED_ACCOUNT, retriable: false }, `${user.dn} has adminCount=1`);
    }
    // Out-of-scope users are refused before anything is written.
    if (write.scope && !(await this.inScope(client, ldap, user.dn, write.scope))) {
      throw new DirectoryError({ reason: Reasons.USER_OUT_OF_SCOPE, retriable: false }, `${user.dn} is out of scope`);
    }
    const actions: WritebackAction[] = [];
    let policyHintsUsed = false;
    const decision =
      write.newPassword === undefined
        ? 'skip'
        : ((await write.beforePasswordWrite?.({ dn: user.dn, passwordVersion: user.passwordVersion })) ?? 'write');
    if (write.newPassword !== undefined && decision === 'skip') actions.push('password');
    if (write.newPassword !== undefined && decision === 'write') {
      const hintsOid = await this.policyHintsOf(client, url, ldap);
      const change = new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'unicodePwd', values: [encodePassword(write.newPassword)] }),
      });
      await needing('Reset Password', () =>
        ldap('modify', { 'ldap.attribute': 'unicodePwd', ...(hintsOid ? { 'ldap.control': hintsOid } : {}) }, () =>
          client.modify(user.dn, change, hintsOid ? new PolicyHintsControl(hintsOid) : undefined),
        ),
      );
      policyHintsUsed = hintsOid !== undefined;
      actions.push('password');
    }
    if (write.unlock) {
      await needing('Write lockoutTime', () =>
        ldap('modify', { 'ldap.attribute': 'lockoutTime' }, () => client.modify(user.dn, replace('lockoutTime', '0'))),
      );
      actions.push('unlock');
    }
    // AD sets pwdLastSet itself on the password write; expiring it is a separate change, and
    // accounts whose password never expires are left alone.
    if (write.forceChangeAtNextLogon && (user.userAccountControl & UF_DONT_EXPIRE_PASSWD) === 0) {
      await needing('Write pwdLastSet', () =>
        ldap('modify', { 'ldap.attribute': 'pwdLastSet' }, () => client.modify(user.dn, replace('pwdLastSet', '0'))),
      );
      actions.push('force-change-at-next-logon');
    }
    return { domainController: new URL(url).hostname, actions, policyHintsUsed };
  }

  private policyHintsOf(client: Client, url: string, ldap: LdapRequests): Promise<string | undefined> {
    let detected = this.policyHints.get(url);
    if (!detected) {
      detected = ldap('search', { 'ldap.scope': 'base' }, () => detectPolicyHints(client));
      this.policyHints.set(url, detected);
      // A failed detection is not remembered: the next write asks again.
      detected.catch(() => this.policyHints.delete(url));
    }
    return detected;
  }

  private async findUser(
    client: Client,
    ldap: LdapRequests,
    upn: string,
  ): Promise<{ dn: string; userAccountControl: number; protected: boolean; passwordVersion: number | null }> {
    const { searchEntries } = await ldap('search', { 'ldap.scope': 'sub' }, () =>
      client.search(this.config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({
          filters: [
            new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
            new EqualityFilter({ attribute: 'userPrincipalName', value: upn }),
          ],
        }),
        attributes: ['userAccountControl', 'adminCount', 'replPropertyMetaData'],
        explicitBufferAttributes: ['replPropertyMetaData'],
        sizeLimit: 2,
      }),
    );
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
      passwordVersion: passwordVersionOf(
        Buffer.isBuffer(entry['replPropertyMetaData']) ? entry['replPropertyMetaData'] : undefined,
      ),
    };
  }

  private async inScope(client: Client, ldap: LdapRequests, dn: string, scope: WritebackScope): Promise<boolean> {
    if (!underScopeOus(dn, scope)) return false;
    const conditions = scopeConditions(scope);
    if (!conditions) return true;
    const { searchEntries } = await ldap('search', { 'ldap.scope': 'base' }, () =>
      client.search(dn, {
        scope: 'base',
        filter: `(&(objectClass=user)${conditions})`,
        attributes: ['distinguishedName'],
      }),
    );
    return searchEntries.length === 1;
  }
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}
