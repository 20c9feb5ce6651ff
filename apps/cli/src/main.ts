#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDomainKeyPair } from '@writeback/sealing';

const USAGE = `Usage: writeback keys generate --domain ID --key-dir DIR [--json]

  Generates the executor key pair of one domain. The private key is written to
  DIR/ID.key (mode 0600) for the executor; the public key is printed, to be set as the
  domain's "publicKey" in config-service.`;

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
  if (positionals.join(' ') !== 'keys generate' || !values.domain || !values['key-dir']) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(values.domain)) {
    process.stderr.write('--domain must be lowercase letters, digits and dashes\n');
    return 2;
  }
  const keys = await generateDomainKeyPair();
  await mkdir(values['key-dir'], { recursive: true, mode: 0o700 });
  const file = join(values['key-dir'], `${values.domain}.key`);
  await writeFile(file, `${keys.privateKey}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'EEXIST' ? `${file} exists; refusing to overwrite a key` : error.message);
  });
  const result = { domain: values.domain, keyId: keys.keyId, publicKey: keys.publicKey, privateKeyFile: file };
  process.stdout.write(
    values.json
      ? `${JSON.stringify(result)}\n`
      : `publicKey ${keys.publicKey}\nkeyId     ${keys.keyId}\nprivate   ${file}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`writeback: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
