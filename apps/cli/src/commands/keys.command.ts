import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isValidDomainId } from '@writeback/contracts';
import { domainKeyFileName, generateDomainKeyPair, isDomainKeyFile, keyIdOf, publicKeyOf } from '@writeback/sealing';
import { CannotRunError, ExitCode, UsageError } from '../cli-errors';
import type { CliContext } from '../cli-context';
import { DOMAIN_FLAGS } from '../domain-option';
import { table } from '../output';

export interface DomainKeyFile {
  domain: string;
  keyId: string;
  publicKey: string;
  privateKeyFile: string;
}

function checkDomainId(domain: string): void {
  if (!isValidDomainId(domain)) throw new UsageError('--domain must be lowercase letters, digits and dashes');
}

/** Writes a private key for the executor: mode 0600, never over an existing file. */
async function writeKeyFile(keyDir: string, file: string, privateKey: string): Promise<string> {
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const path = join(keyDir, file);
  await writeFile(path, `${privateKey}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST'
      ? new CannotRunError(`${path} exists; refusing to overwrite a key`)
      : new CannotRunError(`cannot write ${path}: ${error.message}`);
  });
  return path;
}

/**
 * A new key pair: the first key of a domain goes to `<domain>.key`, later ones (rotation) to
 * `<domain>.<keyId>.key`, so the executor holds old and new while operations drain.
 */
export async function createDomainKey(domain: string, keyDir: string, rotation = false): Promise<DomainKeyFile> {
  checkDomainId(domain);
  const keys = await generateDomainKeyPair();
  const file = domainKeyFileName(domain, rotation ? keys.keyId : undefined);
  const privateKeyFile = await writeKeyFile(keyDir, file, keys.privateKey);
  return { domain, keyId: keys.keyId, publicKey: keys.publicKey, privateKeyFile };
}

/** The private keys of a domain in a key directory, by key id. */
async function keyFiles(domain: string, keyDir: string): Promise<Array<{ keyId: string; file: string }>> {
  const files = await readdir(keyDir).catch(() => {
    throw new CannotRunError(`the key directory ${keyDir} cannot be read`);
  });
  const found: Array<{ keyId: string; file: string }> = [];
  for (const file of files.filter((f) => isDomainKeyFile(domain, f)).sort()) {
    try {
      found.push({ keyId: keyIdOf(publicKeyOf(await readFile(join(keyDir, file), 'utf8'))), file: join(keyDir, file) });
    } catch {
      // Not a key file.
    }
  }
  return found;
}

async function registerPublicKey(ctx: CliContext, domain: string, publicKey: string): Promise<string> {
  const updated = await ctx.services.config.updateDomain(await ctx.services.config.getDomain(domain), { publicKey });
  return updated.keyId;
}

function keyLines(key: DomainKeyFile): string {
  return `publicKey ${key.publicKey}\nkeyId     ${key.keyId}\nprivate   ${key.privateKeyFile}`;
}

export function registerKeyCommands(program: Command, context: () => CliContext): void {
  const keys = program.command('keys').description("each domain's executor key pair: passwords are sealed to it");

  keys
    .command('generate')
    .description('generate the key pair of a domain: DIR/ID.key (0600) for the executor, the public key printed')
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--key-dir <dir>', "the executor's key directory")
    .action((o: { domain: string; keyDir: string }) =>
      context().run(async () => {
        const key = await createDomainKey(o.domain, o.keyDir);
        context().out.result(key, () => keyLines(key));
        return ExitCode.OK;
      }),
    );

  keys
    .command('import')
    .description('import an existing private key (base64url X25519) into the key directory and publish its public key')
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--key-dir <dir>', "the executor's key directory")
    .requiredOption('--private-key-file <path>', 'the key to import')
    .option('--no-register', 'do not set it as the domain public key in config-service')
    .action((o: { domain: string; keyDir: string; privateKeyFile: string; register: boolean }) =>
      context().run(async () => {
        checkDomainId(o.domain);
        const privateKey = (await readFile(o.privateKeyFile, 'utf8')).trim();
        const publicKey = publicKeyOf(privateKey);
        const keyId = keyIdOf(publicKey);
        const privateKeyFile = await writeKeyFile(o.keyDir, domainKeyFileName(o.domain, keyId), privateKey);
        const target = o.register ? context().changing('configUrl') : {};
        if (o.register) await registerPublicKey(context(), o.domain, publicKey);
        const key = { domain: o.domain, keyId, publicKey, privateKeyFile, registered: o.register, ...target };
        context().out.result(
          key,
          () => `${keyLines(key)}\n${o.register ? 'published to config-service' : 'not published'}`,
        );
        return ExitCode.OK;
      }),
    );

  keys
    .command('rotate')
    .description(
      'rotate a domain key: a new pair beside the old one, then the new public key published; operations sealed with the old key still complete',
    )
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--key-dir <dir>', "the executor's key directory")
    .action((o: { domain: string; keyDir: string }) =>
      context().run(async () => {
        const ctx = context();
        const previous = (await ctx.services.config.getDomain(o.domain)).keyId;
        const held = await keyFiles(o.domain, o.keyDir);
        if (!held.some((k) => k.keyId === previous)) {
          throw new CannotRunError(
            `${o.keyDir} does not hold the current key ${previous} of ${o.domain}: rotate where the executor's keys are`,
          );
        }
        // The new private key must reach the executor before anyone seals with its public key.
        const key = await createDomainKey(o.domain, o.keyDir, true);
        ctx.out.progress(`new key ${key.keyId} written to ${key.privateKeyFile}; publishing its public key`);
        const target = ctx.changing('configUrl');
        await registerPublicKey(ctx, o.domain, key.publicKey);
        const result = { ...key, previousKeyId: previous, ...target };
        ctx.out.result(result, () =>
          [
            keyLines(key),
            `published; passwords are now sealed with ${key.keyId}.`,
            `Keep ${previous} until operations sealed with it have ended, then: writeback keys retire --domain ${o.domain} --key-id ${previous} --key-dir ${o.keyDir}`,
          ].join('\n'),
        );
        return ExitCode.OK;
      }),
    );

  keys
    .command('publish')
    .description(
      'set the public key config-service gives the gate (after every executor holds the private key, e.g. a Kubernetes Secret rolled out)',
    )
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .option('--public-key <key>', 'the public key `keys generate` printed')
    .option('--private-key-file <path>', 'or derive it from the private key')
    .action((o: { domain: string; publicKey?: string; privateKeyFile?: string }) =>
      context().run(async () => {
        if (!o.publicKey === !o.privateKeyFile) throw new UsageError('give --public-key or --private-key-file');
        const publicKey = o.publicKey ?? publicKeyOf(await readFile(o.privateKeyFile as string, 'utf8'));
        const previous = (await context().services.config.getDomain(o.domain)).keyId;
        const target = context().changing('configUrl');
        const keyId = await registerPublicKey(context(), o.domain, publicKey);
        context().out.result(
          { domain: o.domain, keyId, previousKeyId: previous, ...target },
          () =>
            `published ${keyId} for ${o.domain} (was ${previous}); keep the old private key until operations sealed with it have ended`,
        );
        return ExitCode.OK;
      }),
    );

  keys
    .command('retire')
    .description('delete an old private key of a domain (never the one config-service publishes)')
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--key-id <id>', 'the key to delete')
    .requiredOption('--key-dir <dir>', "the executor's key directory")
    .action((o: { domain: string; keyId: string; keyDir: string }) =>
      context().run(async () => {
        const ctx = context();
        const current = (await ctx.services.config.getDomain(o.domain)).keyId;
        if (o.keyId === current) {
          throw new UsageError(`${o.keyId} is the current key of ${o.domain}; rotate first`);
        }
        const match = (await keyFiles(o.domain, o.keyDir)).filter((k) => k.keyId === o.keyId);
        if (match.length === 0) throw new UsageError(`${o.keyDir} holds no key ${o.keyId} of ${o.domain}`);
        for (const k of match) await rm(k.file);
        ctx.out.result({ retired: o.keyId, files: match.map((k) => k.file) }, () => `retired ${o.keyId}`);
        return ExitCode.OK;
      }),
    );

  keys
    .command('list')
    .description('the keys of a domain in the key directory, and which one config-service publishes')
    .requiredOption(DOMAIN_FLAGS, 'the domain')
    .requiredOption('--key-dir <dir>', "the executor's key directory")
    .action((o: { domain: string; keyDir: string }) =>
      context().run(async () => {
        const ctx = context();
        const current = (await ctx.services.config.getDomain(o.domain)).keyId;
        const held = (await keyFiles(o.domain, o.keyDir)).map((k) => ({ ...k, current: k.keyId === current }));
        ctx.out.result({ current, keys: held }, () =>
          [
            table(
              ['key id', 'file', 'published'],
              held.map((k) => [k.keyId, k.file, k.current ? 'yes' : '']),
            ),
            ...(held.some((k) => k.current) ? [] : [`WARNING: the published key ${current} is not in ${o.keyDir}`]),
          ].join('\n'),
        );
        return held.some((k) => k.current) ? ExitCode.OK : ExitCode.FAILED;
      }),
    );
}
