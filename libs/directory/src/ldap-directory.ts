import { AndFilter, Attribute, Change, EqualityFilter, OrFilter, PresenceFilter, type Client } from 'ldapts';
import type { DirectoryUser, LookupAbsence, LookupResult } from '@writeback/contracts';
import { protectedAccount, protectionOf, Reasons, type ProtectedGroup } from '@writeback/domain';
import { LdapConnectionPool } from './connection-pool';
import { DirectoryError, needing } from './directory-error';
import type { LdapRequests } from './ldap-telemetry';
import { guidFromBytes, guidToBytes } from './object-guid';
import { passwordVersionOf } from './password-version';
import { detectPolicyHints, PolicyHintsControl } from './policy-hints.control';
import { scopeConditions, underScopeOus, type WritebackScope } from './scope-filter';
import { sidFromBytes } from './security-descriptor';

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
   * The objectGUID a lookup returned for this user (SCIM, ADR 0023): the entry found by the UPN
   * must still be that one, or nothing is written (AD.USER_CHANGED: the UPN moved to another
   * entry between the lookup and the write).
   */
  objectGuid?: string;
  /**
   * Asked right before the password is written, with the directory's count of the user's
   * password writes (null when it cannot be read): 'skip' when that count shows the password
   * was written already, by an earlier try whose answer was lost. Makes the write idempotent.
   */
  beforePasswordWrite?: (user: { dn: string; passwordVersion: number | null }) => Promise<'write' | 'skip'>;
}

/** Who to look up: by UPN, or by objectGUID in the string form AD tools show. */
export type UserKey = { userPrincipalName: string } | { objectGuid: string };

/** A lookup's answer; a directory failure is thrown (a DirectoryError), as for writes. */
export type UserLookup = Extract<LookupResult, { outcome: 'found' | 'absent' }>;

/** The refusals of a write that a lookup shows as an absent user, so it reveals nothing more. */
const ABSENCES: Readonly<Record<string, LookupAbsence>> = {
  [Reasons.USER_NOT_FOUND.code]: 'not-found',
  [Reasons.USER_MULTIPLE_MATCHES.code]: 'several',
  [Reasons.USER_OUT_OF_SCOPE.code]: 'out-of-scope',
  [Reasons.PROTECTED_ACCOUNT.code]: 'protected',
};

/** A user entry as `resolveUser` found it: what the write needs and what a lookup shows. */
interface UserEntry {
  dn: string;
  sid: string;
  userAccountControl: number;
  adminCount: boolean;
  passwordVersion: number | null;
  user: DirectoryUser;
}

const UF_ACCOUNTDISABLE = 0x2;

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

  /**
   * Read-only: finds the user exactly as a write would (the same search, the same privileged and
   * scope refusals), and answers with its SCIM attributes or why it is absent.
   */
  lookupUser(by: UserKey, scope: WritebackScope): Promise<UserLookup> {
    return this.pool.use(async (client, _url, ldap): Promise<UserLookup> => {
      try {
        return { outcome: 'found', user: (await this.resolveUser(client, ldap, by, scope)).user };
      } catch (error) {
        const why = error instanceof DirectoryError ? ABSENCES[error.reason.code] : undefined;
        if (why) return { outcome: 'absent', why };
        throw error;
      }
    });
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
    const user = await this.resolveUser(
      client,
      ldap,
      { userPrincipalName: write.userPrincipalName },
      write.scope,
      write.objectGuid,
    );
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

  /**
   * The one user a write or a lookup is about: found under the base DN, then refused when it is
   * another entry than expected, out of scope, or privileged (in that order, before anything is
   * written). Each refusal is a non-retriable DirectoryError with its reason. Scope comes before
   * privilege because it needs nothing but what the search read: a user out of scope is refused
   * as such even where the service account may not read its groups (an OU with inheritance
   * disabled hides `tokenGroups`), which for a user in scope is an error, never "unprivileged".
   */
  private async resolveUser(
    client: Client,
    ldap: LdapRequests,
    by: UserKey,
    scope: WritebackScope | undefined,
    expectedGuid?: string,
  ): Promise<UserEntry> {
    const user = await this.findUser(client, ldap, by);
    if (expectedGuid !== undefined && user.user.objectGuid !== expectedGuid) {
      throw new DirectoryError(
        { reason: Reasons.USER_CHANGED, retriable: false },
        `${user.dn} has objectGUID ${user.user.objectGuid}, not ${expectedGuid}`,
      );
    }
    if (scope && !(await this.inScope(client, ldap, user.dn, scope))) {
      throw new DirectoryError({ reason: Reasons.USER_OUT_OF_SCOPE, retriable: false }, `${user.dn} is out of scope`);
    }
    const protection = protectionOf(
      { sid: user.sid, groupSids: await this.groupSidsOf(client, ldap, user.dn), adminCount: user.adminCount },
      await this.protectedGroups(client, ldap, scope?.protectedGroups ?? []),
    );
    if (protection.protected) {
      throw new DirectoryError(
        { reason: protectedAccount(protection), retriable: false },
        `${user.dn} is privileged: ${protection.because}`,
      );
    }
    return user;
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

  /**
   * The SIDs of every security group the user is in, nested membership and primary group
   * included: AD computes `tokenGroups` itself, for a base-scope read only.
   */
  private async groupSidsOf(client: Client, ldap: LdapRequests, dn: string): Promise<string[]> {
    const { searchEntries } = await ldap('search', { 'ldap.scope': 'base' }, () =>
      client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: ['tokenGroups'],
        explicitBufferAttributes: ['tokenGroups'],
      }),
    );
    const sids = buffers(searchEntries[0]?.['tokenGroups']).map((sid) => sidFromBytes(sid).sid);
    // Never empty (the primary group is in it): empty means unreadable, and unknown is not unprivileged.
    if (sids.length === 0) {
      throw new DirectoryError(
        { reason: Reasons.DIRECTORY_ERROR, retriable: false },
        `tokenGroups of ${dn} unreadable`,
      );
    }
    return sids;
  }

  /**
   * The SIDs of the domain's own protected groups. A configured group the directory does not
   * hold refuses the write: protection that silently matched nobody would be no protection.
   */
  private async protectedGroups(client: Client, ldap: LdapRequests, dns: readonly string[]): Promise<ProtectedGroup[]> {
    if (dns.length === 0) return [];
    const { searchEntries } = await ldap('search', { 'ldap.scope': 'sub' }, () =>
      client.search(this.config.baseDn, {
        scope: 'sub',
        filter: new OrFilter({
          filters: dns.map((dn) => new EqualityFilter({ attribute: 'distinguishedName', value: dn })),
        }),
        attributes: ['objectSid'],
        explicitBufferAttributes: ['objectSid'],
      }),
    );
    const groups = searchEntries.flatMap((entry) =>
      buffers(entry['objectSid']).map((sid) => ({ sid: sidFromBytes(sid).sid, name: entry.dn })),
    );
    if (groups.length < new Set(dns.map((dn) => dn.toLowerCase())).size) {
      throw new DirectoryError(
        { reason: Reasons.EXECUTOR_CONFIGURATION, retriable: false },
        `a group of scope.protectedGroups is not in the directory: ${dns.join('; ')}`,
      );
    }
    return groups;
  }

  private async findUser(client: Client, ldap: LdapRequests, by: UserKey): Promise<UserEntry> {
    const [key, which] =
      'userPrincipalName' in by
        ? [new EqualityFilter({ attribute: 'userPrincipalName', value: by.userPrincipalName }), by.userPrincipalName]
        : [
            // Bytes, not an escaped text filter (see guidFilterValue); an entry without a UPN
            // (a computer) could never be written, so it is not found.
            new AndFilter({
              filters: [
                new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(by.objectGuid) }),
                new PresenceFilter({ attribute: 'userPrincipalName' }),
              ],
            }),
            `objectGUID ${by.objectGuid}`,
          ];
    const { searchEntries } = await ldap('search', { 'ldap.scope': 'sub' }, () =>
      client.search(this.config.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'user' }), key] }),
        attributes: [
          'objectSid',
          'objectGUID',
          'userAccountControl',
          'adminCount',
          'replPropertyMetaData',
          'userPrincipalName',
          'givenName',
          'sn',
          'displayName',
          'mail',
        ],
        explicitBufferAttributes: ['objectSid', 'objectGUID', 'replPropertyMetaData'],
        sizeLimit: 2,
      }),
    );
    if (searchEntries.length === 0) {
      throw new DirectoryError({ reason: Reasons.USER_NOT_FOUND, retriable: false }, `no entry for ${which}`);
    }
    if (searchEntries.length > 1) {
      throw new DirectoryError(
        { reason: Reasons.USER_MULTIPLE_MATCHES, retriable: false },
        `several entries for ${which}`,
      );
    }
    const entry = searchEntries[0] as (typeof searchEntries)[number];
    const [sid] = buffers(entry['objectSid']);
    const [guid] = buffers(entry['objectGUID']);
    if (!sid || guid?.length !== 16) {
      throw new DirectoryError(
        { reason: Reasons.DIRECTORY_ERROR, retriable: false },
        `${entry.dn} has no objectSid or objectGUID`,
      );
    }
    const userAccountControl = Number(entry['userAccountControl'] ?? 0);
    return {
      dn: entry.dn,
      sid: sidFromBytes(sid).sid,
      userAccountControl,
      adminCount: String(entry['adminCount'] ?? '0') === '1',
      passwordVersion: passwordVersionOf(
        Buffer.isBuffer(entry['replPropertyMetaData']) ? entry['replPropertyMetaData'] : undefined,
      ),
      user: {
        objectGuid: guidFromBytes(guid),
        userPrincipalName: text(entry['userPrincipalName']) ?? '',
        givenName: text(entry['givenName']),
        familyName: text(entry['sn']),
        displayName: text(entry['displayName']),
        mail: text(entry['mail']),
        enabled: (userAccountControl & UF_ACCOUNTDISABLE) === 0,
      },
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

/** A binary attribute's values, however many the entry holds. */
function buffers(value: unknown): Buffer[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is Buffer => Buffer.isBuffer(v));
}

/** A single-valued text attribute; null when the entry has none. */
function text(value: unknown): string | null {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : null;
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}
