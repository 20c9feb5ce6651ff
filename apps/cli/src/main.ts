#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyAuditChains } from '@writeback/audit-ledger';
import { isValidDomainId } from '@writeback/contracts';
import { createPrismaClient } from '@writeback/persistence';
import { generateDomainKeyPair } from '@writeback/sealing';

const USAGE = `Usage:
  writeback keys generate --domain ID --key-dir DIR [--json]
      Generates the executor key pair of one domain. The private key is written to
      DIR/ID.key (mode 0600, never overwritten) for the executor; the public key is
      printed, to be set as the domain's "publicKey" in config-service.

  writeback audit verify [--json]
      Recomputes every domain's audit hash chain in WRITEBACK_DATABASE_URL and names the
      first record that does not hold.

Exit codes: 0 success, 1 the check failed (e.g. a broken audit chain), 2 bad usage,
3 the command could not run (e.g. database unreachable).`;

class UsageError extends Error {}

interface Options {
  domain?: string;
  keyDir?: string;
  json: boolean;
}

async function keysGenerate(options: Options): Promise<number> {
  if (!options.domain || !options.keyDir) throw new UsageError('keys generate needs --domain and --key-dir');
  if (!isValidDomainId(options.domain)) {
    throw new UsageError('--domain must be lowercase letters, digits and dashes');
  }
  const keys = await generateDomainKeyPair();
  await mkdir(options.keyDir, { recursive: true, mode: 0o700 });
  const file = join(options.keyDir, `${options.domain}.key`);
  await writeFile(file, `${keys.privateKey}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'EEXIST' ? `${file} exists; refusing to overwrite a key` : error.message);
  });
  const result = { domain: options.domain, keyId: keys.keyId, publicKey: keys.publicKey, privateKeyFile: file };
  process.stdout.write(
    options.json
      ? `${JSON.stringify(result)}\n`
      : `publicKey ${keys.publicKey}\nkeyId     ${keys.keyId}\nprivate   ${file}\n`,
  );
  return 0;
}

async function auditVerify(options: Options): Promise<number> {
  const url = process.env['WRITEBACK_DATABASE_URL'];
  if (!url) throw new UsageError('audit verify reads WRITEBACK_DATABASE_URL, which is unset');
  const prisma = createPrismaClient(url);
  try {
    const result = await verifyAuditChains(prisma);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) process.stdout.write(`audit verified: ${result.records} records in ${result.chains} chains\n`);
    else {
      const b = result.firstBroken;
      process.stdout.write(
        `audit chain BROKEN at record ${b?.recordId} (event ${b?.eventId}, chain ${b?.chain}, position ${b?.chainSeq}): ${b?.problem}\n`,
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    await prisma.$disconnect();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      domain: { type: 'string' },
      'key-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options: Options = { domain: values.domain, keyDir: values['key-dir'], json: values.json };
  switch (positionals.join(' ')) {
    case 'keys generate':
      return keysGenerate(options);
    case 'audit verify':
      return auditVerify(options);
    default:
      throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`writeback: ${error instanceof Error ? error.message : String(error)}\n`);
    if (usage) process.stderr.write(`${USAGE}\n`);
    process.exit(usage ? 2 : 3);
  },
);
