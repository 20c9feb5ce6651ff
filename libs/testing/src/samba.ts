import { type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { hasExited, runCommand, spawnProcessGroup, stopProcessGroup } from './processes';
import { canBind } from './samba-ldap';
import { domainDnsName, type ProvisionedForest, provisionForest } from './samba-provision';
import { type BulkSeedUser, type SeedOutcome, type SeedUser, seedForest } from './samba-seed';
import { waitFor } from './wait-for';

export {
  canBind,
  createPlainAccount,
  encodeUnicodePwd,
  readUserAttributes,
  setEntryAttribute,
  setUserPassword,
  withLdapsBind,
} from './samba-ldap';
export type { AttributeValues, LdapsEndpoint } from './samba-ldap';
export { SERVICE_ACCOUNT_ACES, SERVICE_ACCOUNT_SAM } from './samba-seed';
export type { BulkSeedUser, SeedUser } from './samba-seed';

export interface SambaForestOptions {
  /** Short label used in messages, e.g. 'corp'. */
  name: string;
  /** Kerberos realm, e.g. 'CORP.EXAMPLE.TEST'; its lower case is the AD DNS domain. */
  realm: string;
  netbiosDomain: string;
  /** A 127.0.0.0/8 address of its own; added to `lo` when missing. */
  ip: string;
  /** Owned by the forest: created if missing, emptied if a previous forest used it. */
  workDir: string;
  users?: SeedUser[];
  /** Many accounts at once (thousands, for the benchmark); listed in `users` after the others. */
  bulkUsers?: BulkSeedUser[];
  ous?: string[];
  /**
   * Minutes an old password keeps working for NTLM-style logons after a change or reset, and Samba
   * (like Windows, whose default is also 60) counts an LDAP simple bind as one. Default 0 here, so
   * a test can see the old password fail; pass 60 to model a default domain.
   */
  oldPasswordAllowedPeriodMinutes?: number;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface ForestAccount {
  sam: string;
  dn: string;
  upn: string;
  password: string;
}

export interface ForestStartupTimings {
  provisionMs: number;
  seedMs: number;
  startMs: number;
}

export interface SambaForest {
  name: string;
  realm: string;
  domainDnsName: string;
  baseDn: string;
  ip: string;
  ldapsUrl: string;
  ldapUrl: string;
  caPem: string;
  caPemPath: string;
  admin: { dn: string; upn: string; password: string };
  /** `svc-writeback`, holding only the delegated write-back rights (SERVICE_ACCOUNT_ACES). */
  serviceAccount: ForestAccount;
  users: ForestAccount[];
  workDir: string;
  smbConfPath: string;
  samLdbPath: string;
  logFile: string;
  startupTimings: ForestStartupTimings;
  /** Kills samba's process group and waits until all of it has exited. */
  stop(): Promise<void>;
  /** Starts samba again after stop() and waits until LDAPS accepts the admin bind. */
  start(): Promise<void>;
}

const LOG_TAIL_LINES = 40;
const LDAPS_PORT = 636;
const LDAP_PORT = 389;

export async function startSambaForest(options: SambaForestOptions): Promise<SambaForest> {
  await ensureLoopbackAddress(options.ip);
  const started = Date.now();
  const provisioned = await provisionForest(options, options.workDir, {
    'old password allowed period': String(options.oldPasswordAllowedPeriodMinutes ?? 0),
  });
  const provisionMs = Date.now() - started;
  const dnsName = domainDnsName(options.realm);
  const seeded = await seedForest(
    { ...provisioned, baseDn: baseDnOf(dnsName), domainDnsName: dnsName },
    options.ous ?? [],
    options.users ?? [],
    options.bulkUsers ?? [],
  );
  const seedMs = Date.now() - started - provisionMs;
  const forest = await describeForest(options, provisioned, seeded);
  await forest.start();
  forest.startupTimings = { provisionMs, seedMs, startMs: Date.now() - started - provisionMs - seedMs };
  return forest;
}

async function describeForest(
  options: SambaForestOptions,
  provisioned: ProvisionedForest,
  seeded: SeedOutcome,
): Promise<SambaForest> {
  const { workDir, realm, ip } = options;
  const dnsName = domainDnsName(realm);
  const baseDn = baseDnOf(dnsName);
  const caPemPath = join(workDir, 'private', 'tls', 'ca.pem');
  const server = new SambaServer(options.name, ip, provisioned.smbConfPath, join(workDir, 'samba.log'));
  const forest: SambaForest = {
    name: options.name,
    realm,
    domainDnsName: dnsName,
    baseDn,
    ip,
    ldapsUrl: `ldaps://${ip}:${LDAPS_PORT}`,
    ldapUrl: `ldap://${ip}:${LDAP_PORT}`,
    caPem: await readFile(caPemPath, 'utf8'),
    caPemPath,
    admin: {
      dn: `CN=Administrator,CN=Users,${baseDn}`,
      upn: `Administrator@${dnsName}`,
      password: provisioned.adminPassword,
    },
    serviceAccount: seeded.serviceAccount,
    users: seeded.users,
    workDir,
    smbConfPath: provisioned.smbConfPath,
    samLdbPath: provisioned.samLdbPath,
    logFile: server.logFile,
    startupTimings: { provisionMs: 0, seedMs: 0, startMs: 0 },
    stop: () => server.stop(),
    start: () => server.start(() => adminCanBind(forest), options.startTimeoutMs ?? 60_000),
  };
  return forest;
}

function baseDnOf(dnsName: string): string {
  return dnsName
    .split('.')
    .map((label) => `DC=${label}`)
    .join(',');
}

function adminCanBind(forest: SambaForest): Promise<boolean> {
  return canBind(forest, forest.admin.dn, forest.admin.password);
}

async function ensureLoopbackAddress(ip: string): Promise<void> {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) {
    throw new Error(`Forest address ${ip} must be in 127.0.0.0/8: forests live on the loopback interface only`);
  }
  const { stdout } = await runCommand('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo']);
  if (stdout.includes(` ${ip}/`)) return;
  try {
    await runCommand('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  } catch (error) {
    const message = (error as Error).message;
    if (/exists|already assigned/i.test(message)) return;
    throw new Error(`Cannot add ${ip} to lo (the harness must run as root): ${message}`);
  }
}

/** One samba process group; `-i` makes samba exit when its stdin closes, i.e. when Node dies. */
class SambaServer {
  private child: ChildProcess | undefined;

  constructor(
    private readonly name: string,
    private readonly ip: string,
    private readonly smbConfPath: string,
    readonly logFile: string,
  ) {}

  async start(isReady: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    if (this.child && !hasExited(this.child)) return;
    // Copies of one template share the admin password, so another forest still serving this
    // address would pass our readiness probe.
    if (await isListening(this.ip, LDAPS_PORT)) {
      throw new Error(`Cannot start samba for forest ${this.name}: ${this.ip}:${LDAPS_PORT} is already in use`);
    }
    const child = this.spawn();
    this.child = child;
    try {
      const outcome = await waitFor(async () => (hasExited(child) ? 'exited' : (await isReady()) && 'ready'), {
        timeoutMs,
        intervalMs: 100,
        description: `samba forest ${this.name} to accept an LDAPS bind`,
      });
      if (outcome === 'exited') throw new Error(`samba for forest ${this.name} exited during start-up`);
    } catch (error) {
      await this.stop();
      throw new Error(`${(error as Error).message}\n${await this.logTail()}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stopProcessGroup(child);
  }

  private spawn(): ChildProcess {
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawnProcessGroup('samba', ['-s', this.smbConfPath, '-i', '-M', 'single'], ['pipe', log, log]);
      child.stdin?.on('error', () => undefined);
      // A forgotten stop() must not keep a test runner alive; the exit hook and stdin EOF end samba.
      child.unref();
      (child.stdin as Socket | null)?.unref();
      return child;
    } finally {
      closeSync(log);
    }
  }

  private async logTail(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    const lines = text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    return `--- last ${LOG_TAIL_LINES} lines of ${this.logFile} ---\n${lines}`;
  }
}

function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
