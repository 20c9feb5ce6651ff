import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@writeback/platform';
import { generateDomainKeyPair } from '@writeback/sealing';
import { DomainKeys } from './domain-keys';

describe('DomainKeys', () => {
  it('finds each key of a domain by the key id a password was sealed with, during a rotation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writeback-keys-'));
    const [first, rotated, other] = await Promise.all([1, 2, 3].map(() => generateDomainKeyPair()));
    await writeFile(join(dir, 'corp.key'), `${first?.privateKey}\n`);
    await writeFile(join(dir, `corp.${rotated?.keyId}.key`), rotated?.privateKey ?? '');
    await writeFile(join(dir, 'corp-eu.key'), other?.privateKey ?? '');
    await writeFile(join(dir, 'corp.notes.key'), 'not a key');
    const sut = new DomainKeys(dir);

    expect(await sut.privateKey('corp', first?.keyId ?? '')).toBe(first?.privateKey);
    expect(await sut.privateKey('corp', rotated?.keyId ?? '')).toBe(rotated?.privateKey);
    // Another domain's key is never used, even when its file name starts alike.
    await expect(sut.privateKey('corp', other?.keyId ?? '')).rejects.toThrow(ConfigurationError);
    expect(await sut.privateKey('corp-eu', other?.keyId ?? '')).toBe(other?.privateKey);
  });

  it('follows a key file whose content is replaced in place, as a Secret update does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writeback-keys-'));
    const [before, after] = await Promise.all([1, 2].map(() => generateDomainKeyPair()));
    await writeFile(join(dir, 'corp.key'), before?.privateKey ?? '');
    const sut = new DomainKeys(dir);
    expect(await sut.privateKey('corp', before?.keyId ?? '')).toBe(before?.privateKey);

    await writeFile(join(dir, 'corp.key'), after?.privateKey ?? '');

    expect(await sut.privateKey('corp', after?.keyId ?? '')).toBe(after?.privateKey);
    await expect(sut.privateKey('corp', before?.keyId ?? '')).rejects.toThrow(ConfigurationError);
  });
});
