import { createHash, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { inspect } from 'node:util';
import { Secret } from './secret';
import { WritebackError } from '@writeback/contracts';

/**
 * HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256) + HKDF-SHA256 + AES-256-GCM.
 * The binding goes into the AEAD's associated data, so a sealed password opens only for
 * the operation, domain and user it was sealed for. The plaintext is padded to a bucket
 * (`PADDED_SIZES`) first, so the ciphertext's length does not tell the password's.
 */
const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** v2: the plaintext is padded. v1 (unpadded) blobs sealed before an upgrade still open. */
const INFO = new TextEncoder().encode('writeback/sealed-password/v2');
const INFO_V1 = new TextEncoder().encode('writeback/sealed-password/v1');

/**
 * Sizes a padded plaintext takes: a two-byte length, the password's UTF-8 bytes, then zeros up
 * to the smallest size that holds them. Passwords of up to 62 bytes, nearly all of them, share
 * one size; the largest holds the 256 UTF-16 units AD takes, each up to 3 UTF-8 bytes.
 */
export const PADDED_SIZES = [64, 128, 256, 512, 1024] as const;
const LENGTH_BYTES = 2;

function pad(password: Uint8Array): Uint8Array {
  const size = PADDED_SIZES.find((s) => s >= password.length + LENGTH_BYTES);
  if (size === undefined) throw new SealingError('the password is too long to seal');
  const padded = new Uint8Array(size);
  new DataView(padded.buffer).setUint16(0, password.length);
  padded.set(password, LENGTH_BYTES);
  return padded;
}

function unpad(padded: Uint8Array): Uint8Array {
  const length = padded.length >= LENGTH_BYTES ? new DataView(padded.buffer, padded.byteOffset).getUint16(0) : -1;
  const end = LENGTH_BYTES + length;
  if (length < 0 || end > padded.length || padded.subarray(end).some((b) => b !== 0)) {
    throw new SealingError('the padding of the sealed password is malformed');
  }
  return padded.subarray(LENGTH_BYTES, end);
}

export interface SealBinding {
  operationId: string;
  domainId: string;
  targetUpn: string;
}

export interface Sealed {
  keyId: string;
  enc: string;
  ciphertext: string;
}

export interface DomainKeyPair {
  keyId: string;
  /** base64url of the raw X25519 public key: safe to publish. */
  publicKey: string;
  /** base64url of the raw X25519 private key: belongs in a Secret, never in config. */
  privateKey: string;
}

/** A sealed password that cannot be opened (wrong key, tampered, wrong binding): never better later. */
export class SealingError extends WritebackError {
  readonly code = 'SEALING.UNREADABLE';
  readonly retriable = false;
}

const b64 = (buf: ArrayBuffer | Uint8Array): string => Buffer.from(buf as ArrayBuffer).toString('base64url');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

function aad(binding: SealBinding): Uint8Array {
  const canonical = JSON.stringify([binding.operationId, binding.domainId, binding.targetUpn.trim().toLowerCase()]);
  return new TextEncoder().encode(canonical);
}

export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(unb64(publicKey)).digest('hex').slice(0, 16);
}

/** PKCS#8 DER header of an X25519 private key; the 32 raw bytes follow it. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The public key (base64url) of a base64url X25519 private key, so an imported or rotated key
 * can be matched to the key id a password was sealed with.
 */
export function publicKeyOf(privateKey: string): string {
  const raw = Buffer.from(privateKey.trim(), 'base64url');
  if (raw.length !== 32) throw new SealingError('not a base64url X25519 private key');
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (!x) throw new SealingError('not a base64url X25519 private key');
  return x;
}

export async function generateDomainKeyPair(): Promise<DomainKeyPair> {
  const pair = await suite.kem.generateKeyPair();
  const publicKey = b64(await suite.kem.serializePublicKey(pair.publicKey));
  const privateKey = b64(await suite.kem.serializePrivateKey(pair.privateKey));
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

export async function seal(publicKey: string, secret: Secret, binding: SealBinding): Promise<Sealed> {
  const recipientPublicKey = await suite.kem.deserializePublicKey(unb64(publicKey)).catch(() => {
    throw new SealingError('the domain public key is not a valid X25519 key');
  });
  const password = new TextEncoder().encode(secret.reveal());
  const plaintext = pad(password);
  password.fill(0);
  const { enc, ct } = await suite
    .seal({ recipientPublicKey, info: INFO }, plaintext, aad(binding))
    .finally(() => plaintext.fill(0));
  return { keyId: keyIdOf(publicKey), enc: b64(enc), ciphertext: b64(ct) };
}

/** The WebCrypto keys of each imported key, reachable by `openWith` alone. */
const imported = new WeakMap<DomainPrivateKey, CryptoKeyPair>();

/**
 * A domain's private key, imported once to open many passwords (ADR 0021). The key inside
 * cannot be exported (WebCrypto, `extractable: false`), and this object shows only its key id
 * when logged or serialised.
 */
class DomainPrivateKey {
  constructor(readonly keyId: string) {}

  toString(): string {
    return `DomainPrivateKey(${this.keyId})`;
  }

  toJSON(): { keyId: string } {
    return { keyId: this.keyId };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
export type { DomainPrivateKey };

/**
 * Imports a base64url X25519 private key; throws SealingError (without the key) when it is not
 * one. Its public half is kept beside it, so opening never derives it: HPKE would otherwise
 * export the private key to do so, which a non-extractable key refuses.
 */
export async function importDomainPrivateKey(privateKey: string): Promise<DomainPrivateKey> {
  const publicKey = publicKeyOf(privateKey);
  const pkcs8 = Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateKey.trim(), 'base64url')]);
  try {
    const pair = {
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']),
      publicKey: await suite.kem.deserializePublicKey(unb64(publicKey)),
    };
    const key = new DomainPrivateKey(keyIdOf(publicKey));
    imported.set(key, pair);
    return key;
  } catch {
    throw new SealingError('not a base64url X25519 private key');
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * Opens a sealed password with an imported key; throws SealingError (never the plaintext) when
 * it cannot. A blob of the unpadded v1 format, sealed by a gate of the version before, opens
 * too: the `info` each was sealed with tells them apart, as only the right one authenticates.
 */
export async function openWith(key: DomainPrivateKey, sealed: Sealed, binding: SealBinding): Promise<Secret> {
  if (sealed.keyId !== key.keyId) throw new SealingError('sealed credential was sealed for another key');
  try {
    const recipientKey = imported.get(key);
    if (!recipientKey) throw new SealingError('not an imported domain key');
    const opening = (info: Uint8Array): Promise<ArrayBuffer> =>
      suite.open({ recipientKey, enc: unb64(sealed.enc), info }, unb64(sealed.ciphertext), aad(binding));
    const password = await opening(INFO).then(
      (padded) => unpad(new Uint8Array(padded)),
      async () => new Uint8Array(await opening(INFO_V1)),
    );
    return new Secret(new TextDecoder('utf-8', { fatal: true }).decode(password));
  } catch {
    throw new SealingError('sealed credential could not be opened for this operation');
  }
}
