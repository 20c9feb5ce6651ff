import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './processes';

/** Bump when the provision arguments or template layout change, to invalidate cached templates. */
const TEMPLATE_FORMAT = 1;
const DC_HOST_NAME = 'dc';
const TEMPLATE_METADATA = 'template.json';
const FOREST_MARKER = '.writeback-samba-forest';

/*
 * Only what an LDAP/Kerberos password write-back needs. Leaving out smbd (s3fs), winbindd, nbt
 * and replication keeps each forest to one process group that starts in about a second.
 */
const SERVER_SERVICES = 'rpc, ldap, cldap, kdc';

export interface ForestIdentity {
  realm: string;
  netbiosDomain: string;
  ip: string;
}

interface TemplateMetadata {
  provisionedDir: string;
  adminPassword: string;
}

export interface ProvisionedForest {
  adminPassword: string;
  smbConfPath: string;
  samLdbPath: string;
}

/** A password that satisfies AD complexity (upper, lower, digit, symbol) whatever the random part. */
export function randomPassword(): string {
  return `Aa1!${randomBytes(18).toString('base64url')}`;
}

export function domainDnsName(realm: string): string {
  return realm.toLowerCase();
}

/**
 * Provisioning takes ~4 s and its result depends only on the realm, domain, address and Samba
 * version, so it is done once into a template under the OS temp dir and copied (~30 ms) into each
 * forest's work dir. The only absolute paths in a provisioned tree are in etc/smb.conf, which the
 * copy rewrites; sam.ldb names its partitions relative to the private dir.
 */
export async function provisionForest(
  identity: ForestIdentity,
  workDir: string,
  runtimeOptions: Record<string, string>,
): Promise<ProvisionedForest> {
  const templateDir = await ensureTemplate(identity);
  const metadata = await readMetadata(templateDir);
  await claimWorkDir(workDir);
  await runCommand('cp', ['-a', `${templateDir}/.`, workDir]);
  await rm(join(workDir, TEMPLATE_METADATA));
  await writeFile(join(workDir, FOREST_MARKER), `${identity.realm}\n`);
  const smbConfPath = join(workDir, 'etc', 'smb.conf');
  const smbConf = (await readFile(smbConfPath, 'utf8')).split(metadata.provisionedDir).join(workDir);
  await writeFile(smbConfPath, withGlobalOptions(smbConf, runtimeOptions));
  return {
    adminPassword: metadata.adminPassword,
    smbConfPath,
    samLdbPath: join(workDir, 'private', 'sam.ldb'),
  };
}

/** Options that do not change what provisioning writes, so they stay out of the template key. */
function withGlobalOptions(smbConf: string, options: Record<string, string>): string {
  const lines = Object.entries(options).map(([name, value]) => `\t${name} = ${value}\n`);
  return smbConf.replace(/^\[global\]\n/m, (header) => header + lines.join(''));
}

/** The work dir is wiped only if a previous forest left its marker there, never a foreign dir. */
async function claimWorkDir(workDir: string): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const entries = await readdir(workDir);
  if (entries.length === 0) return;
  if (!entries.includes(FOREST_MARKER)) {
    throw new Error(`Refusing to use ${workDir} for a Samba forest: it is not empty and was not made by the harness`);
  }
  await Promise.all(entries.map((entry) => rm(join(workDir, entry), { recursive: true, force: true })));
}

async function readMetadata(templateDir: string): Promise<TemplateMetadata> {
  return JSON.parse(await readFile(join(templateDir, TEMPLATE_METADATA), 'utf8')) as TemplateMetadata;
}

async function ensureTemplate(identity: ForestIdentity): Promise<string> {
  const root = join(tmpdir(), 'writeback-samba-templates');
  const templateDir = join(root, await templateKey(identity));
  if (existsSync(join(templateDir, TEMPLATE_METADATA))) return templateDir;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const buildDir = join(root, `.build-${randomBytes(6).toString('hex')}`);
  try {
    await buildTemplate(identity, buildDir);
    await publishTemplate(buildDir, templateDir);
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
  return templateDir;
}

async function templateKey(identity: ForestIdentity): Promise<string> {
  const { stdout: sambaVersion } = await runCommand('samba', ['-V']);
  const { realm, netbiosDomain, ip } = identity;
  const material = JSON.stringify({ TEMPLATE_FORMAT, sambaVersion, SERVER_SERVICES, realm, netbiosDomain, ip });
  const hash = createHash('sha256').update(material).digest('hex').slice(0, 16);
  return `${identity.realm.toLowerCase()}-${identity.ip}-${hash}`;
}

/** Concurrent builders (parallel jest workers) race on an atomic rename; the loser's copy is dropped. */
async function publishTemplate(buildDir: string, templateDir: string): Promise<void> {
  try {
    await rename(buildDir, templateDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
  }
}

async function buildTemplate(identity: ForestIdentity, buildDir: string): Promise<void> {
  const adminPassword = randomPassword();
  await mkdir(join(buildDir, 'run'), { recursive: true });
  await runProvision(identity, buildDir, adminPassword);
  await writeTlsMaterial(identity, join(buildDir, 'private', 'tls'));
  const metadata: TemplateMetadata = { provisionedDir: buildDir, adminPassword };
  await writeFile(join(buildDir, TEMPLATE_METADATA), JSON.stringify(metadata), { mode: 0o600 });
}

async function runProvision(identity: ForestIdentity, dir: string, adminPassword: string): Promise<void> {
  // An empty base config, so the machine's /etc/samba/smb.conf does not leak into the forest's.
  const baseConf = join(dir, 'provision-base.conf');
  await writeFile(baseConf, '');
  const run = join(dir, 'run');
  const options = {
    interfaces: identity.ip,
    'bind interfaces only': 'yes',
    'pid directory': run,
    'ncalrpc dir': join(run, 'ncalrpc'),
    'winbindd socket directory': join(run, 'winbindd'),
    'ntp signd socket directory': join(run, 'ntp_signd'),
    'server services': SERVER_SERVICES,
  };
  await runCommand('samba-tool', [
    'domain',
    'provision',
    '-s',
    baseConf,
    `--realm=${identity.realm}`,
    `--domain=${identity.netbiosDomain}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    `--host-name=${DC_HOST_NAME}`,
    `--host-ip=${identity.ip}`,
    `--adminpass=${adminPassword}`,
    `--targetdir=${dir}`,
    ...Object.entries(options).map(([name, value]) => `--option=${name}=${value}`),
  ]);
  await rm(baseConf);
}

function dcHostName(realm: string): string {
  return `${DC_HOST_NAME}.${domainDnsName(realm)}`;
}

/*
 * Samba's self-generated certificate names only the host in its CN, without subjectAltName, so a
 * client verifying ldaps://<ip> against the CA fails. This one carries the address and the names.
 */
async function writeTlsMaterial(identity: ForestIdentity, tlsDir: string): Promise<void> {
  await mkdir(tlsDir, { recursive: true });
  const file = (name: string) => join(tlsDir, name);
  const host = dcHostName(identity.realm);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runCommand('openssl', [
    'req',
    '-x509',
    ...ec,
    '-days',
    '3650',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-subj',
    `/O=Writeback test harness/CN=${identity.realm} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runCommand('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('key.pem'),
    '-out',
    file('cert.csr'),
    '-subj',
    `/CN=${host}`,
  ]);
  await writeFile(
    file('cert.ext'),
    [
      `subjectAltName=IP:${identity.ip},DNS:${host},DNS:${domainDnsName(identity.realm)}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  await runCommand('openssl', [
    'x509',
    '-req',
    '-in',
    file('cert.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    file('cert.ext'),
    '-out',
    file('cert.pem'),
  ]);
  await Promise.all(['ca.key', 'ca.srl', 'cert.csr', 'cert.ext'].map((name) => rm(file(name), { force: true })));
  // Samba refuses a private key that others can read.
  await chmod(file('key.pem'), 0o600);
}
