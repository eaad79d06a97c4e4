import { describe, expect, it } from 'vitest';
import { RootCA } from '../../../src/swarm/ca/index.js';
import { deriveSecretsKey, seal, unseal } from '../../../src/swarm/secrets/seal.js';
import { fileTarget } from '../../../src/swarm/agent/task-files.js';
import { parseFileRefFlag } from '../../../src/swarm/service-flags.js';

describe('secrets sealed in the store', () => {
  it('every manager derives the same key from the CA key; another CA gives another key', async () => {
    const { keyPem } = await RootCA.create({ clusterId: 'c1' });
    const other = await RootCA.create({ clusterId: 'c1' });
    expect(deriveSecretsKey(keyPem).key.equals(deriveSecretsKey(keyPem).key)).toBe(true);
    expect(deriveSecretsKey(keyPem).key.equals(deriveSecretsKey(other.keyPem).key)).toBe(false);
  });

  it('round-trips; the blob holds no plaintext; a flipped bit, another binding or another key fails', async () => {
    const k = deriveSecretsKey((await RootCA.create({ clusterId: 'c1' })).keyPem);
    const plain = Buffer.from('s3cret-password-value');
    const b = seal(plain, k, 'secret-id-1');
    expect(JSON.stringify(b)).not.toContain('s3cret');
    expect(Buffer.from(b.ciphertext, 'base64').includes(plain)).toBe(false);
    expect(unseal(b, k, 'secret-id-1').toString()).toBe('s3cret-password-value');
    expect(seal(plain, k, 'secret-id-1').nonce).not.toBe(b.nonce);
    const raw = Buffer.from(b.ciphertext, 'base64');
    raw[0]! ^= 1;
    expect(() => unseal({ ...b, ciphertext: raw.toString('base64') }, k, 'secret-id-1')).toThrow();
    expect(() => unseal(b, k, 'secret-id-2')).toThrow();
    const k2 = deriveSecretsKey((await RootCA.create({ clusterId: 'c1' })).keyPem);
    expect(() => unseal(b, k2, 'secret-id-1')).toThrow();
  });
});

describe('secret and config references', () => {
  it('take Docker\'s short and long flag forms', () => {
    expect(parseFileRefFlag('--secret', 'db')).toEqual({ source: 'db', target: 'db', uid: '0', gid: '0', mode: 0o444 });
    expect(parseFileRefFlag('--secret', 'source=db,target=pw,uid=100,mode=0400')).toEqual({ source: 'db', target: 'pw', uid: '100', gid: '0', mode: 0o400 });
    expect(() => parseFileRefFlag('--secret', 'target=x')).toThrow(/--secret.*source=NAME/);
    expect(() => parseFileRefFlag('--config', 'source=a,mode=rw')).toThrow(/octal/);
  });

  it('mount at /run/secrets/NAME and /NAME unless the target is absolute', () => {
    expect(fileTarget('secret', 'db')).toBe('/run/secrets/db');
    expect(fileTarget('config', 'nginx.conf')).toBe('/nginx.conf');
    expect(fileTarget('config', '/etc/app.conf')).toBe('/etc/app.conf');
  });
});
