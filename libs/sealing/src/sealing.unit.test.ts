import { inspect } from 'node:util';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import {
  generateDomainKeyPair,
  importDomainPrivateKey,
  keyIdOf,
  openWith,
  PADDED_SIZES,
  publicKeyOf,
  seal,
  Secret,
  SealingError,
  type Sealed,
  type SealBinding,
} from './index';

const binding = {
  operationId: '5b0c3f0e-6f0c-4c55-9d3b-2f2f6e0b8d11',
  domainId: 'corp',
  targetUpn: 'Alice@corp.example.test',
};

const open = async (privateKey: string, sealed: Sealed, at: SealBinding): Promise<Secret> =>
  openWith(await importDomainPrivateKey(privateKey), sealed, at);

describe('sealing', () => {
  it('opens what it sealed, for the same binding', async () => {
    const keys = await generateDomainKeyPair();
    const sealed = await seal(keys.publicKey, new Secret('Pässwörd-1!'), binding);
    expect(sealed.keyId).toBe(keys.keyId);
    expect(keyIdOf(keys.publicKey)).toBe(keys.keyId);
    const opened = await open(keys.privateKey, sealed, { ...binding, targetUpn: 'alice@CORP.example.test' });
    expect(opened.reveal()).toBe('Pässwörd-1!');
  });

  it.each([
    ['another operation', { operationId: '00000000-0000-4000-8000-000000000000' }],
    ['another domain', { domainId: 'fabrikam' }],
    ['another user', { targetUpn: 'bob@corp.example.test' }],
  ])('refuses to open a blob replayed for %s', async (_name, change) => {
    const keys = await generateDomainKeyPair();
    const sealed = await seal(keys.publicKey, new Secret('S3cret!pass'), binding);
    await expect(open(keys.privateKey, sealed, { ...binding, ...change })).rejects.toBeInstanceOf(SealingError);
  });

  it("refuses another domain's private key", async () => {
    const corp = await generateDomainKeyPair();
    const fabrikam = await generateDomainKeyPair();
    const sealed = await seal(corp.publicKey, new Secret('S3cret!pass'), binding);
    await expect(open(fabrikam.privateKey, sealed, binding)).rejects.toThrow(SealingError);
  });

  it('derives the public key of a private key, so a key file can be matched to a key id', async () => {
    const keys = await generateDomainKeyPair();
    expect(publicKeyOf(keys.privateKey)).toBe(keys.publicKey);
    expect(keyIdOf(publicKeyOf(keys.privateKey))).toBe(keys.keyId);
    expect(() => publicKeyOf('too-short')).toThrow(SealingError);
  });

  it('never shows a Secret when logged or serialised', () => {
    const secret = new Secret('hunter2-Plain');
    const shown = [String(secret), JSON.stringify({ secret }), inspect({ secret })].join(' ');
    expect(shown).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2-Plain');
  });

  it('keeps the plaintext out of the sealed blob', async () => {
    const keys = await generateDomainKeyPair();
    const sealed = await seal(keys.publicKey, new Secret('VisiblePlaintext123'), binding);
    const wire = JSON.stringify(sealed);
    expect(wire).not.toContain('VisiblePlaintext123');
    expect(wire).not.toContain(Buffer.from('VisiblePlaintext123').toString('base64url'));
  });

  it('hides the length of the password: one ciphertext size per padding bucket', async () => {
    const keys = await generateDomainKeyPair();
    const sizeOf = async (password: string): Promise<number> =>
      Buffer.from((await seal(keys.publicKey, new Secret(password), binding)).ciphertext, 'base64url').length;
    const TAG = 16;
    const short = await Promise.all(['a', 'Pw-1!', 'Summer-2026!', 'x'.repeat(40), 'é'.repeat(31)].map(sizeOf));
    expect(new Set(short)).toEqual(new Set([PADDED_SIZES[0] + TAG]));
    const longer = await Promise.all(['x'.repeat(63), 'x'.repeat(100), 'x'.repeat(126)].map(sizeOf));
    expect(new Set(longer)).toEqual(new Set([PADDED_SIZES[1] + TAG]));
    // AD's longest password, 256 characters of three UTF-8 bytes each, still fits the largest.
    const longest = '€'.repeat(256);
    expect(await sizeOf(longest)).toBe(Math.max(...PADDED_SIZES) + TAG);
    const sealed = await seal(keys.publicKey, new Secret(longest), binding);
    expect((await open(keys.privateKey, sealed, binding)).reveal()).toBe(longest);
  });

  it('still opens a blob sealed unpadded by the version before (in flight during an upgrade), for its binding only', async () => {
    const keys = await generateDomainKeyPair();
    // The v1 format as the previous gate sealed it: no padding, its own info string.
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
    const aad = new TextEncoder().encode(
      JSON.stringify([binding.operationId, binding.domainId, binding.targetUpn.toLowerCase()]),
    );
    const { enc, ct } = await suite.seal(
      {
        recipientPublicKey: await suite.kem.deserializePublicKey(Buffer.from(keys.publicKey, 'base64url')),
        info: new TextEncoder().encode('writeback/sealed-password/v1'),
      },
      new TextEncoder().encode('Old-Blob-1!'),
      aad,
    );
    const v1 = {
      keyId: keys.keyId,
      enc: Buffer.from(enc).toString('base64url'),
      ciphertext: Buffer.from(ct).toString('base64url'),
    };
    expect((await open(keys.privateKey, v1, binding)).reveal()).toBe('Old-Blob-1!');
    await expect(open(keys.privateKey, v1, { ...binding, domainId: 'fabrikam' })).rejects.toBeInstanceOf(SealingError);
  });

  it('opens many passwords with a key imported once, and shows only its key id', async () => {
    const keys = await generateDomainKeyPair();
    const key = await importDomainPrivateKey(`${keys.privateKey}\n`);
    expect(key.keyId).toBe(keys.keyId);
    for (const password of ['First-1!', 'Second-2!']) {
      const sealed = await seal(keys.publicKey, new Secret(password), binding);
      expect((await openWith(key, sealed, binding)).reveal()).toBe(password);
    }
    const shown = [String(key), JSON.stringify({ key }), inspect({ key })].join(' ');
    expect(shown).not.toContain(keys.privateKey);
    expect(shown).toContain(keys.keyId);
  });

  it('refuses a blob sealed for another key before trying to open it', async () => {
    const [corp, rotated] = await Promise.all([generateDomainKeyPair(), generateDomainKeyPair()]);
    const sealed = await seal(rotated.publicKey, new Secret('S3cret!pass'), binding);
    const key = await importDomainPrivateKey(corp.privateKey);
    await expect(openWith(key, sealed, binding)).rejects.toThrow(SealingError);
    // A blob claiming the key's id but sealed for another key still does not open.
    await expect(openWith(key, { ...sealed, keyId: corp.keyId }, binding)).rejects.toThrow(SealingError);
  });

  it('refuses to import what is not a key, without repeating it', async () => {
    const error: unknown = await importDomainPrivateKey('not-a-key-Zm9v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SealingError);
    expect(String(error)).not.toContain('not-a-key-Zm9v');
  });
});
