import { Attribute, Change, type Client, EqualityFilter, OrFilter } from 'ldapts';
import { type DirectoryError, toDirectoryError } from './directory-error';
import { certificateNames, createLdapsClient, type LdapsEndpoint } from './ldaps-client';
import { detectPolicyHints } from './policy-hints.control';
import { DaclOnlyControl } from './sd-flags.control';
import { scopeConditions, type WritebackScope } from './scope-filter';
import {
  encodeSecurityDescriptor,
  parseSecurityDescriptor,
  SdControl,
  sidFromBytes,
  aceToSddl,
  type SecurityDescriptor,
} from './security-descriptor';
import {
  evaluateRootRights,
  evaluateUserRights,
  missingGrants,
  withAces,
  type RightFinding,
  type WritebackRightId,
} from './writeback-rights';

export interface BindCredentials {
  /** DN or UPN. */
  bindDn: string;
  password: string;
}

/** Binds, runs `use`, always unbinds; failures are classified (DC unavailable, TLS, credentials…). */
export async function withDirectoryBind<T>(
  endpoint: LdapsEndpoint,
  credentials: BindCredentials,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = createLdapsClient(endpoint);
  try {
    await client.bind(credentials.bindDn, credentials.password).catch((error: unknown) => {
      throw toDirectoryError(error);
    });
    return await use(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

interface AccountIdentity {
  dn: string;
  sid: string;
}

async function readDacl(client: Client, dn: string): Promise<SecurityDescriptor> {
  const { searchEntries } = await client.search(
    dn,
    { scope: 'base', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] },
    new DaclOnlyControl(),
  );
  const raw = searchEntries[0]?.['nTSecurityDescriptor'];
  if (!Buffer.isBuffer(raw)) throw new Error(`cannot read the security descriptor of ${dn}`);
  return parseSecurityDescriptor(raw);
}

const asBuffers = (value: unknown): Buffer[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is Buffer => Buffer.isBuffer(v));

/** An account's SID and the SIDs of every group it is in (its token). */
async function accountToken(
  client: Client,
  name: string,
  baseDn: string,
): Promise<{ account: AccountIdentity; sids: string[] }> {
  const account = await findAccount(client, name, baseDn);
  const { searchEntries } = await client.search(account.dn, {
    scope: 'base',
    attributes: ['tokenGroups'],
    explicitBufferAttributes: ['tokenGroups'],
  });
  const groups = asBuffers(searchEntries[0]?.['tokenGroups']).map((b) => sidFromBytes(b).sid);
  return { account, sids: [account.sid, ...groups] };
}

/** An account by DN, UPN, DOMAIN\sam or sAMAccountName. */
async function findAccount(client: Client, name: string, baseDn: string): Promise<AccountIdentity> {
  const sam = name.includes('\\') ? name.slice(name.indexOf('\\') + 1) : name;
  const byDn = /^[a-z]+=/i.test(name);
  const { searchEntries } = await client.search(byDn ? name : baseDn, {
    scope: byDn ? 'base' : 'sub',
    filter: byDn
      ? '(objectClass=*)'
      : new OrFilter({
          filters: [
            new EqualityFilter({ attribute: 'userPrincipalName', value: name }),
            new EqualityFilter({ attribute: 'sAMAccountName', value: sam }),
          ],
        }),
    attributes: ['objectSid'],
    explicitBufferAttributes: ['objectSid'],
    sizeLimit: 2,
  });
  const entry = searchEntries.length === 1 ? searchEntries[0] : undefined;
  const sid = asBuffers(entry?.['objectSid'])[0];
  if (!entry || !sid) throw new Error(`account ${name} not found (or not unique) in the directory`);
  return { dn: entry.dn, sid: sidFromBytes(sid).sid };
}

export interface BlockedInheritance {
  dn: string;
  objectClass: 'organizationalUnit' | 'container' | 'user';
}

export interface UserLackingRights {
  dn: string;
  missing: WritebackRightId[];
}

export interface PermissionsReport {
  account: AccountIdentity;
  /** The four rights as the domain root grants them. */
  rootRights: RightFinding[];
  /** OUs, containers and users in scope whose DACL does not inherit from above. */
  inheritanceDisabled: BlockedInheritance[];
  usersChecked: number;
  /** AdminSDHolder-protected accounts are never written back, so they are not checked. */
  protectedUsersSkipped: number;
  usersLackingRights: UserLackingRights[];
  ok: boolean;
}

export interface PermissionsCheckOptions {
  /** The account bound as: DN, UPN or sAMAccountName. */
  account: string;
  baseDn: string;
  scope: WritebackScope;
  /** Called every page of objects read, for progress output. */
  onProgress?: (checked: number) => void;
  pageSize?: number;
}

const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

/**
 * What the seed's troubleshooting list asks, checked as the service account itself: the four
 * rights on the domain root, whether they reach every user in scope (the DC's own
 * allowedAttributesEffective for the two attributes, the user's DACL for Reset Password), and
 * which OUs or users have inheritance disabled.
 */
export async function checkPermissions(client: Client, options: PermissionsCheckOptions): Promise<PermissionsReport> {
  const { account, sids } = await accountToken(client, options.account, options.baseDn);
  const root = await readDacl(client, options.baseDn);
  const rootRights = evaluateRootRights(root.dacl ?? [], sids);
  const bases = options.scope.organizationalUnits.length > 0 ? options.scope.organizationalUnits : [options.baseDn];
  const inheritanceDisabled: BlockedInheritance[] = [];
  const blockedContainers: BlockedInheritance[] = [];
  const usersInScope: string[] = [];
  const usersLackingRights: UserLackingRights[] = [];
  let checked = 0;
  let protectedUsersSkipped = 0;
  const paged = { pageSize: options.pageSize ?? 500 };

  for (const base of bases) {
    const containers = client.searchPaginated(
      base,
      {
        scope: 'sub',
        filter: '(|(objectClass=organizationalUnit)(objectClass=container))',
        attributes: ['nTSecurityDescriptor', 'objectClass'],
        explicitBufferAttributes: ['nTSecurityDescriptor'],
        paged,
      },
      new DaclOnlyControl(),
    );
    for await (const page of containers) {
      for (const entry of page.searchEntries) {
        const raw = entry['nTSecurityDescriptor'];
        if (!Buffer.isBuffer(raw) || entry.dn.toLowerCase() === options.baseDn.toLowerCase()) continue;
        if (parseSecurityDescriptor(raw).control & SdControl.DACL_PROTECTED) {
          const classes = ([] as unknown[]).concat(entry['objectClass']).map(String);
          blockedContainers.push({
            dn: entry.dn,
            objectClass: classes.includes('organizationalUnit') ? 'organizationalUnit' : 'container',
          });
        }
      }
    }
    const users = client.searchPaginated(
      base,
      {
        scope: 'sub',
        filter: `(&${USER_FILTER}${scopeConditions(options.scope)})`,
        attributes: ['nTSecurityDescriptor', 'allowedAttributesEffective', 'adminCount'],
        explicitBufferAttributes: ['nTSecurityDescriptor'],
        paged,
      },
      new DaclOnlyControl(),
    );
    for await (const page of users) {
      for (const entry of page.searchEntries) {
        if (String(entry['adminCount'] ?? '0') === '1') {
          protectedUsersSkipped++;
          continue;
        }
        checked++;
        usersInScope.push(entry.dn.toLowerCase());
        const raw = entry['nTSecurityDescriptor'];
        const sd = Buffer.isBuffer(raw) ? parseSecurityDescriptor(raw) : null;
        if (sd && sd.control & SdControl.DACL_PROTECTED)
          inheritanceDisabled.push({ dn: entry.dn, objectClass: 'user' });
        const writable = new Set(([] as unknown[]).concat(entry['allowedAttributesEffective'] ?? []).map(String));
        const reset = sd ? evaluateUserRights(sd.dacl ?? [], sids).find((f) => f.right.id === 'reset-password') : null;
        const missing: WritebackRightId[] = [
          ...(reset?.state === 'granted' ? [] : (['reset-password'] as const)),
          ...(writable.has('lockoutTime') ? [] : (['write-lockoutTime'] as const)),
          ...(writable.has('pwdLastSet') ? [] : (['write-pwdLastSet'] as const)),
        ];
        if (missing.length > 0) usersLackingRights.push({ dn: entry.dn, missing });
      }
      options.onProgress?.(checked);
    }
  }
  // A blocked container matters only when users in scope sit below it.
  inheritanceDisabled.unshift(
    ...blockedContainers.filter(({ dn }) => usersInScope.some((user) => user.endsWith(`,${dn.toLowerCase()}`))),
  );
  return {
    account,
    rootRights,
    inheritanceDisabled,
    usersChecked: checked,
    protectedUsersSkipped,
    usersLackingRights,
    ok:
      rootRights.every((f) => f.state === 'granted') &&
      inheritanceDisabled.length === 0 &&
      usersLackingRights.length === 0,
  };
}

export interface GrantResult {
  account: AccountIdentity;
  /** SDDL of the ACEs added to the domain root; empty when it already held them all. */
  added: string[];
}

/**
 * `Set-AADCloudSyncPermissions -PermissionType PasswordWriteBack`: adds to the domain root's
 * DACL exactly the ACEs the service account lacks, bound as an administrator. Idempotent:
 * nothing is written when the account already holds every right through ACEs of its own.
 */
export async function grantWritebackRights(
  client: Client,
  options: { baseDn: string; serviceAccount: string },
): Promise<GrantResult> {
  const account = await findAccount(client, options.serviceAccount, options.baseDn);
  const sd = await readDacl(client, options.baseDn);
  const missing = missingGrants(sd.dacl ?? [], account.sid);
  if (missing.length === 0) return { account, added: [] };
  const updated = encodeSecurityDescriptor({ ...sd, dacl: withAces(sd.dacl ?? [], missing) });
  await client.modify(
    options.baseDn,
    new Change({
      operation: 'replace',
      modification: new Attribute({ type: 'nTSecurityDescriptor', values: [updated] }),
    }),
    new DaclOnlyControl(),
  );
  const after = missingGrants((await readDacl(client, options.baseDn)).dacl ?? [], account.sid);
  if (after.length > 0) {
    throw new Error(`the domain root still lacks ${after.map(aceToSddl).join(' ')} after the write`);
  }
  return { account, added: missing.map(aceToSddl) };
}

export interface DomainControllerProbe {
  url: string;
  /** Reached, TLS verified and bound as the service account. */
  ok: boolean;
  /** Classified failure when not ok. */
  error?: DirectoryError;
  dnsHostName?: string;
  /** DC clock minus ours, in seconds. */
  clockSkewSeconds?: number;
  /** The password policy hints control the DC advertises, or null. */
  policyHintsOid?: string | null;
  /**
   * The names on the DC's certificate (`DNS:…`, `IP Address:…`, else its CN) when TLS refused it
   * for a name that is not among them: the chain was trusted, only the name differs.
   */
  certificateNames?: string[];
}

/** GeneralizedTime `20261125042316.0Z` -> epoch ms. */
export function parseGeneralizedTime(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** One DC: reachability, certificate trust, the service account's bind, clock, policy hints. */
export async function probeDomainController(
  endpoint: LdapsEndpoint,
  credentials: BindCredentials,
  now: () => number = Date.now,
): Promise<DomainControllerProbe> {
  try {
    return await withDirectoryBind(endpoint, credentials, async (client) => {
      const before = now();
      const { searchEntries } = await client.search('', {
        scope: 'base',
        attributes: ['currentTime', 'dnsHostName'],
      });
      const midpoint = (before + now()) / 2;
      const dcTime = parseGeneralizedTime(String(searchEntries[0]?.['currentTime'] ?? ''));
      return {
        url: endpoint.url,
        ok: true,
        dnsHostName: String(searchEntries[0]?.['dnsHostName'] ?? ''),
        clockSkewSeconds: Math.round((dcTime - midpoint) / 1000),
        policyHintsOid: (await detectPolicyHints(client)) ?? null,
      };
    });
  } catch (error) {
    const failure = toDirectoryError(error);
    // The client's error keeps only the message: the names come from a handshake of our own.
    const names = failure.detail.includes('ERR_TLS_CERT_ALTNAME_INVALID')
      ? await certificateNames(endpoint).catch(() => undefined)
      : undefined;
    return { url: endpoint.url, ok: false, error: failure, ...(names ? { certificateNames: names } : {}) };
  }
}

export interface DomainPasswordPolicy {
  /** The domain's minimum password age, in seconds. */
  minPwdAgeSeconds: number;
  lockoutThreshold: number;
}

/** AD stores intervals as negative counts of 100 ns. */
const intervalSeconds = (value: unknown): number => Math.abs(Number(value ?? 0)) / 10_000_000;

export async function readPasswordPolicy(client: Client, baseDn: string): Promise<DomainPasswordPolicy> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'base',
    attributes: ['minPwdAge', 'lockoutThreshold'],
  });
  const entry = searchEntries[0];
  return {
    minPwdAgeSeconds: intervalSeconds(entry?.['minPwdAge']),
    lockoutThreshold: Number(entry?.['lockoutThreshold'] ?? 0),
  };
}

/** The DNs among `dns` that do not exist (or the account cannot see). */
export async function missingEntries(client: Client, dns: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const dn of dns) {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['objectClass'] });
      if (searchEntries.length === 0) missing.push(dn);
    } catch (error) {
      if ((error as { code?: unknown }).code === 32) missing.push(dn);
      else throw error;
    }
  }
  return missing;
}
