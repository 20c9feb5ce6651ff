import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenVerifier, readAuthConfig } from '@writeback/platform';
import { generateDomainKeyPair, importDomainPrivateKey, openWith, seal, Secret } from '@writeback/sealing';
import { startTestIssuer } from '@writeback/testing';

/**
 * The two per-request costs issue 21 found in the services' CPU profiles, measured alone in one
 * process: opening a sealed password with the domain's private key (the executor) and verifying
 * the same caller's bearer token again and again (the gate). CPU time from `process.cpuUsage()`,
 * so other processes on the machine do not count.
 *
 *   npm run build && node bench/dist/hot-paths.js [count]
 */
async function main(count: number): Promise<void> {
  const binding = { operationId: '5b0c3f0e-6f0c-4c55-9d3b-2f2f6e0b8d11', domainId: 'corp', targetUpn: 'a@corp.test' };
  const keys = await generateDomainKeyPair();
  const sealed = await seal(keys.publicKey, new Secret('Summer-2026!'), binding);
  // What the executor did until issue 21: the key imported for every password.
  await report(`open, the key imported for each (${count})`, count, async () =>
    openWith(await importDomainPrivateKey(keys.privateKey), sealed, binding),
  );
  const key = await importDomainPrivateKey(keys.privateKey);
  await report(`open, the key imported once (${count})`, count, () => openWith(key, sealed, binding));

  const dir = await mkdtemp(join(tmpdir(), 'writeback-hot-paths-'));
  try {
    const issuer = await startTestIssuer(dir);
    const verifier = new TokenVerifier(readAuthConfig(issuer.env));
    const authorization = `Bearer ${await issuer.token('portal')}`;
    await report(`verify, one token again and again (${count})`, count, () => verifier.verify(authorization));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function report(name: string, count: number, once: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(count, 200); i++) await once();
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await once();
  const { user, system } = process.cpuUsage(before);
  const totalMs = (user + system) / 1000;
  console.log(`${name}: ${totalMs.toFixed(0)} ms CPU, ${((totalMs * 1000) / count).toFixed(1)} µs each`);
}

void main(Number(process.argv[2] ?? 5000));
