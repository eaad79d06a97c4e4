import { createCipheriv, createDecipheriv, createPrivateKey, hkdfSync, randomBytes } from 'node:crypto';
import type { EncryptedBlob } from '../store/index.js';

/** The key that seals secrets in the store (AES-256-GCM), and the id blobs record it by. */
export interface SecretsKey {
  keyId: string;
  key: Buffer;
}

/**
 * Derives the secrets key from the root CA's private key with HKDF-SHA256. Why derive rather than
 * generate: every manager already holds the CA key (0600, handed over inside the mutual-TLS join
 * or promotion answer, deleted on demotion), so the secrets key needs no distribution, storage or
 * revocation of its own, and it never appears in the raft log or snapshots, which carry only
 * ciphertext. The key id names the derivation so a later rotation can keep old blobs readable.
 */
export function deriveSecretsKey(caKeyPem: string): SecretsKey {
  const der = createPrivateKey(caKeyPem).export({ format: 'der', type: 'pkcs8' });
  const key = Buffer.from(hkdfSync('sha256', der, Buffer.from('tsswarm-secrets-salt-v1'), Buffer.from('tsswarm secrets key v1'), 32));
  return { keyId: 'ca-hkdf-v1', key };
}

/** Seals `plain`; the nonce is random per blob, `aad` binds the blob to its object (its name). */
export function seal(plain: Buffer, k: SecretsKey, aad: string): EncryptedBlob {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', k.key, nonce);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  return { alg: 'aes-256-gcm', keyId: k.keyId, nonce: nonce.toString('base64'), ciphertext: ct.toString('base64') };
}

/** Opens a sealed blob; throws if the key, the binding or a single bit differs. */
export function unseal(b: EncryptedBlob, k: SecretsKey, aad: string): Buffer {
  if (b.keyId !== k.keyId) throw new Error(`secret sealed with key ${b.keyId}, this manager has ${k.keyId}`);
  const raw = Buffer.from(b.ciphertext, 'base64');
  if (raw.length < 16) throw new Error('sealed secret is truncated');
  const d = createDecipheriv('aes-256-gcm', k.key, Buffer.from(b.nonce, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]);
}
