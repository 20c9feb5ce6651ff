import { harnessFile } from './harness-files';
import { runCommand } from './processes';
import { randomPassword } from './samba-provision';

export const SERVICE_ACCOUNT_SAM = 'svc-writeback';

/**
 * The delegation the product documents for its service account, on the domain root. `{SID}` is
 * replaced with the account's objectSid. Object type bf967aba-… is the `user` class.
 */
export const SERVICE_ACCOUNT_ACES: readonly string[] = [
  // Reset Password on user objects
  '(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;{SID})',
  // Write pwdLastSet on user objects
  '(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;{SID})',
  // Write lockoutTime on user objects
  '(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;{SID})',
  // Unexpire Password on the domain root
  '(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;{SID})',
];

export interface SeedUser {
  sam: string;
  password: string;
  /** 'Staff', 'OU=Staff' or a nested 'OU=Team,OU=Staff'; relative to the domain root. */
  ou?: string;
}

export interface SeededAccount {
  sam: string;
  dn: string;
  upn: string;
}

interface SeedResult {
  users: SeededAccount[];
  serviceAccount: SeededAccount & { sid: string };
}

export interface SeedOutcome {
  users: Array<SeededAccount & { password: string }>;
  serviceAccount: SeededAccount & { password: string };
}

/** Normalises 'Staff' to 'OU=Staff'; an RDN path is kept as given. */
export function ouPath(ou: string): string {
  return ou.includes('=') ? ou : `OU=${ou}`;
}

/** 'OU=Team,OU=Staff' -> ['OU=Staff', 'OU=Team,OU=Staff'], so parents are created first. */
function ouChain(path: string): string[] {
  const rdns = path.split(',').map((rdn) => rdn.trim());
  return rdns.map((_, index) => rdns.slice(rdns.length - 1 - index).join(','));
}

function ousToCreate(ous: readonly string[], users: readonly SeedUser[]): string[] {
  const wanted = [...ous, ...users.flatMap((user) => (user.ou ? [user.ou] : []))];
  return [...new Set(wanted.map(ouPath).flatMap(ouChain))];
}

/** Thousands of accounts (the benchmark's): one add each, none read back (see samba-seed.py). */
export interface BulkSeedUser extends SeedUser {
  ou: string;
}

/**
 * Seeds the stopped forest through its sam.ldb in one Python process (see samba-seed.py): password
 * policy, OUs, users and the delegated service account.
 */
export async function seedForest(
  paths: { smbConfPath: string; samLdbPath: string; baseDn: string; domainDnsName: string },
  ous: readonly string[],
  users: readonly SeedUser[],
  bulkUsers: readonly BulkSeedUser[] = [],
): Promise<SeedOutcome> {
  const serviceAccountPassword = randomPassword();
  const spec = {
    smbConf: paths.smbConfPath,
    samLdb: paths.samLdbPath,
    minPwdAge: 0,
    ous: ousToCreate(ous, [...users, ...bulkUsers]),
    users: users.map((user) => ({ sam: user.sam, password: user.password, ou: user.ou ? ouPath(user.ou) : null })),
    bulkUsers: bulkUsers.map((user) => ({ sam: user.sam, password: user.password, ou: ouPath(user.ou) })),
    serviceAccount: { sam: SERVICE_ACCOUNT_SAM, password: serviceAccountPassword },
    serviceAccountAces: SERVICE_ACCOUNT_ACES,
  };
  // Samba's Python bindings are installed for Debian's interpreter only, not for a pyenv on PATH.
  const { stdout } = await runCommand('/usr/bin/python3', [harnessFile('samba-seed.py')], {
    input: JSON.stringify(spec),
    // Samba hashes every password (~25 ms of CPU each, more on a busy machine).
    timeoutMs: 120_000 + 200 * (users.length + bulkUsers.length),
  });
  const result = JSON.parse(lastLine(stdout)) as SeedResult;
  const passwords = new Map(users.map((user) => [user.sam, user.password]));
  const bulk = bulkUsers.map((user) => ({
    sam: user.sam,
    dn: `CN=${user.sam},${ouPath(user.ou)},${paths.baseDn}`,
    upn: `${user.sam}@${paths.domainDnsName}`,
    password: user.password,
  }));
  return {
    users: [...result.users.map((user) => ({ ...user, password: passwords.get(user.sam) ?? '' })), ...bulk],
    serviceAccount: {
      sam: result.serviceAccount.sam,
      dn: result.serviceAccount.dn,
      upn: result.serviceAccount.upn,
      password: serviceAccountPassword,
    },
  };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
