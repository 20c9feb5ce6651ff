import { mkdtemp, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@writeback/platform';
import { secretVolume } from '@writeback/testing';
import {
  generateDomainKeyPair,
  importDomainPrivateKey,
  openWith,
  seal,
  Secret,
  type DomainKeyPair,
  type DomainPrivateKey,
} from '@writeback/sealing';
import { DomainKeys } from './domain-keys';

const keyDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'writeback-keys-'));
const keyPairs = (n: number): Promise<DomainKeyPair[]> =>
  Promise.all(Array.from({ length: n }, () => generateDomainKeyPair()));

/** A DomainKeys that counts the keys it imports. */
function countingKeys(dir: string): { sut: DomainKeys; imports: () => number } {
  let imports = 0;
  const sut = new DomainKeys(dir, (privateKey) => {
    imports += 1;
    return importDomainPrivateKey(privateKey);
  });
  return { sut, imports: () => imports };
}

const binding = { operationId: '5b0c3f0e-6f0c-4c55-9d3b-2f2f6e0b8d11', domainId: 'corp', targetUpn: 'a@corp.test' };

/** Whether `key` opens a password sealed with `pair`'s public key: the key itself, not only its id. */
async function opensFor(key: DomainPrivateKey, pair: DomainKeyPair): Promise<boolean> {
  const sealed = await seal(pair.publicKey, new Secret('Rotated-1!'), binding);
  return (await openWith(key, sealed, binding)).reveal() === 'Rotated-1!';
}

describe('DomainKeys', () => {
  it('finds each key of a domain by the key id a password was sealed with, during a rotation', async () => {
    const dir = await keyDir();
    const [first, rotated, other] = (await keyPairs(3)) as [DomainKeyPair, DomainKeyPair, DomainKeyPair];
    await writeFile(join(dir, 'corp.key'), `${first.privateKey}\n`);
    await writeFile(join(dir, `corp.${rotated.keyId}.key`), rotated.privateKey);
    await writeFile(join(dir, 'corp-eu.key'), other.privateKey);
    await writeFile(join(dir, 'corp.notes.key'), 'not a key');
    const sut = new DomainKeys(dir);

    expect(await opensFor(await sut.privateKey('corp', first.keyId), first)).toBe(true);
    expect(await opensFor(await sut.privateKey('corp', rotated.keyId), rotated)).toBe(true);
    // Another domain's key is never used, even when its file name starts alike.
    await expect(sut.privateKey('corp', other.keyId)).rejects.toThrow(ConfigurationError);
    expect((await sut.privateKey('corp-eu', other.keyId)).keyId).toBe(other.keyId);
  });

  it('imports a key once for many opens, and a file that is not a key once too', async () => {
    const dir = await keyDir();
    const [key, absent] = (await keyPairs(2)) as [DomainKeyPair, DomainKeyPair];
    await writeFile(join(dir, 'corp.key'), key.privateKey);
    await writeFile(join(dir, 'corp.notes.key'), 'not a key');
    await writeFile(join(dir, 'README'), 'a file the directory shares');
    const { sut, imports } = countingKeys(dir);

    for (let i = 0; i < 5; i++) expect((await sut.privateKey('corp', key.keyId)).keyId).toBe(key.keyId);
    for (let i = 0; i < 3; i++) await expect(sut.privateKey('corp', absent.keyId)).rejects.toThrow(ConfigurationError);

    expect(imports()).toBe(2);
  });

  it('follows a key file whose content is replaced in place, at once', async () => {
    const dir = await keyDir();
    const [before, after] = (await keyPairs(2)) as [DomainKeyPair, DomainKeyPair];
    await writeFile(join(dir, 'corp.key'), before.privateKey);
    const sut = new DomainKeys(dir);
    expect((await sut.privateKey('corp', before.keyId)).keyId).toBe(before.keyId);

    await writeFile(join(dir, 'corp.key'), after.privateKey);

    expect(await opensFor(await sut.privateKey('corp', after.keyId), after)).toBe(true);
    await expect(sut.privateKey('corp', before.keyId)).rejects.toThrow(ConfigurationError);
  });

  it('follows a Secret volume through a rotation: new key, both keys, old key removed', async () => {
    const dir = await keyDir();
    const [old, next] = (await keyPairs(2)) as [DomainKeyPair, DomainKeyPair];
    await secretVolume(dir, { 'corp.key': old.privateKey });
    const { sut, imports } = countingKeys(dir);
    expect((await sut.privateKey('corp', old.keyId)).keyId).toBe(old.keyId);

    // The chart's rotation: the new key as corp.key, the old one beside it.
    await secretVolume(dir, { 'corp.key': next.privateKey, 'corp.previous.key': old.privateKey });
    expect(await opensFor(await sut.privateKey('corp', next.keyId), next)).toBe(true);
    expect(await opensFor(await sut.privateKey('corp', old.keyId), old)).toBe(true);
    expect(imports()).toBe(3);

    // previousKeySecret dropped: corp.key is unchanged but now another file, read again, not imported again.
    await secretVolume(dir, { 'corp.key': next.privateKey });
    await expect(sut.privateKey('corp', old.keyId)).rejects.toThrow(ConfigurationError);
    expect((await sut.privateKey('corp', next.keyId)).keyId).toBe(next.keyId);
    expect(imports()).toBe(3);
  });

  it('no longer uses a key whose file is removed, and imports it again when it comes back', async () => {
    const dir = await keyDir();
    const [key, rotated] = (await keyPairs(2)) as [DomainKeyPair, DomainKeyPair];
    const file = join(dir, `corp.${rotated.keyId}.key`);
    await writeFile(join(dir, 'corp.key'), key.privateKey);
    await writeFile(file, rotated.privateKey);
    const { sut, imports } = countingKeys(dir);
    expect((await sut.privateKey('corp', rotated.keyId)).keyId).toBe(rotated.keyId);

    await unlink(file);
    await expect(sut.privateKey('corp', rotated.keyId)).rejects.toThrow(ConfigurationError);
    expect(await sut.has('corp')).toBe(true);

    await writeFile(file, rotated.privateKey);
    expect((await sut.privateKey('corp', rotated.keyId)).keyId).toBe(rotated.keyId);
    expect(imports()).toBe(3);
  });
});
