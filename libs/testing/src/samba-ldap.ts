import { Attribute, Change, Client, escapeFilter, InvalidCredentialsError } from 'ldapts';

/** What the helpers need of a forest; `SambaForest` has all of it. */
export interface LdapsEndpoint {
  ldapsUrl: string;
  caPem: string;
  baseDn: string;
  admin: { dn: string; password: string };
}

export type AttributeValues = Record<string, string | string[]>;

const CONNECT_TIMEOUT_MS = 5_000;
const OPERATION_TIMEOUT_MS = 15_000;

/** AD takes a new password as the quoted string in UTF-16LE, written to `unicodePwd`. */
export function encodeUnicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

export function createLdapsClient(forest: Pick<LdapsEndpoint, 'ldapsUrl' | 'caPem'>): Client {
  return new Client({
    url: forest.ldapsUrl,
    tlsOptions: { ca: [forest.caPem] },
    connectTimeout: CONNECT_TIMEOUT_MS,
    timeout: OPERATION_TIMEOUT_MS,
  });
}

/** Binds over LDAPS as `bindName` (DN or UPN), runs `use`, and always unbinds. */
export async function withLdapsBind<T>(
  forest: Pick<LdapsEndpoint, 'ldapsUrl' | 'caPem'>,
  bindName: string,
  password: string,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = createLdapsClient(forest);
  try {
    await client.bind(bindName, password);
    return await use(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** True if the simple bind succeeds, false on invalidCredentials (49); anything else throws. */
export async function canBind(
  forest: Pick<LdapsEndpoint, 'ldapsUrl' | 'caPem'>,
  upnOrDn: string,
  password: string,
): Promise<boolean> {
  try {
    return await withLdapsBind(forest, upnOrDn, password, () => Promise.resolve(true));
  } catch (error) {
    if (error instanceof InvalidCredentialsError) return false;
    throw error;
  }
}

async function findUserDn(client: Client, baseDn: string, sam: string): Promise<string> {
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: escapeFilter`(&(objectClass=user)(sAMAccountName=${sam}))`,
    attributes: ['1.1'],
  });
  const entry = searchEntries[0];
  if (!entry) throw new Error(`No user with sAMAccountName ${sam} under ${baseDn}`);
  return entry.dn;
}

/** Reads attributes of a user as Administrator. Binary values come back base64-encoded. */
export async function readUserAttributes(
  forest: LdapsEndpoint,
  sam: string,
  attrs: string[],
): Promise<AttributeValues> {
  return withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client) => {
    const dn = await findUserDn(client, forest.baseDn, sam);
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: attrs });
    const entry = searchEntries[0];
    if (!entry) throw new Error(`User ${dn} disappeared while being read`);
    return toAttributeValues(entry);
  });
}

function toAttributeValues(entry: Record<string, Buffer | Buffer[] | string | string[]>): AttributeValues {
  const text = (value: Buffer | string) => (Buffer.isBuffer(value) ? value.toString('base64') : value);
  return Object.fromEntries(
    Object.entries(entry).map(([name, value]) => [name, Array.isArray(value) ? value.map(text) : text(value)]),
  );
}

/** Administrator reset of a user's password, for test setup. */
export async function setUserPassword(forest: LdapsEndpoint, sam: string, password: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, async (client) => {
    const dn = await findUserDn(client, forest.baseDn, sam);
    await client.modify(dn, [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'unicodePwd', values: [encodeUnicodePwd(password)] }),
      }),
    ]);
  });
}

/** Replaces one attribute of an entry as Administrator (domain policy, user attributes). */
export async function setEntryAttribute(forest: LdapsEndpoint, dn: string, name: string, value: string): Promise<void> {
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, (client) =>
    client.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: name, values: [value] }) }),
    ]),
  );
}

/** A user in CN=Users holding no delegated rights at all, as a freshly created service account is. */
export async function createPlainAccount(
  forest: LdapsEndpoint & { domainDnsName: string },
  sam: string,
  password: string,
): Promise<string> {
  const dn = `CN=${sam},CN=Users,${forest.baseDn}`;
  await withLdapsBind(forest, forest.admin.dn, forest.admin.password, (client) =>
    client.add(dn, [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user'] }),
      new Attribute({ type: 'sAMAccountName', values: [sam] }),
      new Attribute({ type: 'userPrincipalName', values: [`${sam}@${forest.domainDnsName}`] }),
      new Attribute({ type: 'unicodePwd', values: [encodeUnicodePwd(password)] }),
      new Attribute({ type: 'userAccountControl', values: ['512'] }),
    ]),
  );
  return dn;
}
