import { inspect } from 'node:util';
import { generateDomainKeyPair, keyIdOf, open, publicKeyOf, seal, Secret, SealingError } from './index';

const binding = {
  operationId: '5b0c3f0e-6f0c-4c55-9d3b-2f2f6e0b8d11',
  domainId: 'corp',
  targetUpn: 'Alice@corp.example.test',
};

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
});
