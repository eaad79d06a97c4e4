import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CertError,
  RootCA,
  certificateValidity,
  CLOCK_SKEW_MS,
  createNodeKeyAndCsr,
  generateNodeId,
  needsRenewal,
  readPrivateKeyFile,
  renewalTime,
  renewalWindow,
  verifyNodeCertificate,
  writePrivateKeyFile,
  DEFAULT_NODE_VALIDITY_MS,
} from '../../../src/swarm/ca/index.js';

const DAY = 24 * 3600 * 1000;
const T0 = new Date('2026-01-01T00:00:00Z');

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CertError);
    return (e as CertError).reason;
  }
  throw new Error('expected a CertError');
}

describe('cluster root CA and node certificates', () => {
  it('issues a manager certificate from a CSR and verifies it back to {nodeId, role, clusterId}', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem, keyPem } = await createNodeKeyAndCsr();
    expect(keyPem).toContain('BEGIN PRIVATE KEY');
    const nodeId = generateNodeId();
    expect(nodeId).toMatch(/^[0-9a-z]{25}$/);
    const cert = await ca.issue(csrPem, { nodeId, role: 'manager', now: T0 });
    const id = await verifyNodeCertificate(cert, ca.certPem, { now: new Date(T0.getTime() + DAY), clusterId: 'c1', role: 'manager' });
    expect(id).toMatchObject({ nodeId, role: 'manager', clusterId: 'c1' });
    expect(id.notAfter.getTime()).toBe(T0.getTime() + DEFAULT_NODE_VALIDITY_MS);
  });

  it('a worker certificate carries role worker and is refused where a manager is required', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'w1', role: 'worker', now: T0 });
    const id = await verifyNodeCertificate(cert, ca.certPem, { now: T0 });
    expect(id.role).toBe('worker');
    expect(await reason(verifyNodeCertificate(cert, ca.certPem, { now: T0, role: 'manager' }))).toBe('wrong-role');
  });

  it('ignores the subject a requester puts in its CSR', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'n7', role: 'worker', now: T0 });
    expect((await verifyNodeCertificate(cert, ca.certPem, { now: T0 })).nodeId).toBe('n7');
  });

  it('rejects a certificate from another CA, even one with the same cluster id', async () => {
    const { ca: ours } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { ca: theirs } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await theirs.issue(csrPem, { nodeId: 'evil', role: 'manager', now: T0 });
    expect(await reason(verifyNodeCertificate(cert, ours.certPem, { now: T0 }))).toBe('untrusted');
  });

  it('rejects a certificate of another cluster id when one is expected', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c2', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'n1', role: 'worker', now: T0 });
    expect(await reason(verifyNodeCertificate(cert, ca.certPem, { now: T0, clusterId: 'c1' }))).toBe('wrong-cluster');
  });

  it('rejects an expired certificate and one not yet valid', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'n1', role: 'worker', now: T0, validityMs: 2 * DAY });
    await verifyNodeCertificate(cert, ca.certPem, { now: new Date(T0.getTime() + DAY) });
    expect(await reason(verifyNodeCertificate(cert, ca.certPem, { now: new Date(T0.getTime() + 3 * DAY) }))).toBe('expired');
    expect(await reason(verifyNodeCertificate(cert, ca.certPem, { now: new Date(T0.getTime() - DAY) }))).toBe('not-yet-valid');
  });

  it('never issues past its own expiry and refuses to issue once expired', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0, validityMs: 10 * DAY });
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'n1', role: 'worker', now: T0 });
    expect(certificateValidity(cert).notAfter.getTime()).toBe(ca.notAfter.getTime());
    expect(await reason(ca.issue(csrPem, { nodeId: 'n1', role: 'worker', now: new Date(T0.getTime() + 11 * DAY) }))).toBe('expired');
  });

  it('refuses a malformed or tampered CSR and malformed PEM', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    expect(await reason(ca.issue('not a csr', { nodeId: 'n1', role: 'worker' }))).toBe('malformed');
    expect(await reason(verifyNodeCertificate('garbage', ca.certPem))).toBe('malformed');
    expect(await reason(ca.issue((await createNodeKeyAndCsr()).csrPem, { nodeId: 'CN=x,O=y', role: 'worker' }))).toBe('malformed');
  });

  it('refuses a CA certificate presented as a node certificate', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    expect(await reason(verifyNodeCertificate(ca.certPem, ca.certPem, { now: T0 }))).toBe('bad-usage');
  });

  it('reloads a root from its PEMs and refuses a key of another root', async () => {
    const { ca, keyPem } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const again = await RootCA.load(ca.certPem, keyPem);
    expect(again.clusterId).toBe('c1');
    const { csrPem } = await createNodeKeyAndCsr();
    await verifyNodeCertificate(await again.issue(csrPem, { nodeId: 'n1', role: 'worker', now: T0 }), ca.certPem, { now: T0 });
    const other = await RootCA.create({ clusterId: 'c1', now: T0 });
    expect(await reason(RootCA.load(ca.certPem, other.keyPem))).toBe('bad-key');
  });

  it('schedules renewal inside 50%..80% of the life', () => {
    // As `issue` writes it: notBefore backdated by the skew allowance, life counted from T0.
    const validity = { notBefore: new Date(T0.getTime() - CLOCK_SKEW_MS), notAfter: new Date(T0.getTime() + 100 * DAY) };
    const w = renewalWindow(validity);
    expect(w.start.getTime()).toBe(T0.getTime() + 50 * DAY);
    expect(w.end.getTime()).toBe(T0.getTime() + 80 * DAY);
    expect(renewalTime(validity, 0.5).getTime()).toBe(T0.getTime() + 65 * DAY);
    expect(needsRenewal(validity, new Date(T0.getTime() + 49 * DAY), 0)).toBe(false);
    expect(needsRenewal(validity, new Date(T0.getTime() + 81 * DAY), 0.99)).toBe(true);
  });

  it('schedules a short-lived certificate from its issuance, not its backdated start', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1', now: T0 });
    const { csrPem } = await createNodeKeyAndCsr();
    const pem = await ca.issue(csrPem, { nodeId: 'n1', role: 'worker', now: T0, validityMs: 30_000 });
    const validity = certificateValidity(pem);
    expect(validity.notBefore.getTime()).toBe(T0.getTime() - CLOCK_SKEW_MS);
    expect(needsRenewal(validity, new Date(T0.getTime() + 14_000), 0)).toBe(false);
    expect(needsRenewal(validity, new Date(T0.getTime() + 15_000), 0)).toBe(true);
    expect(renewalTime(validity, 1).getTime()).toBe(T0.getTime() + 24_000);
  });
});

describe('private key files', () => {
  it('are written with mode 0600 and refused when readable by others', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tsswarm-key-'));
    try {
      const file = path.join(dir, 'sub', 'node.key');
      const { keyPem } = await createNodeKeyAndCsr();
      await writePrivateKeyFile(file, keyPem);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readPrivateKeyFile(file)).toBe(keyPem);
      await writePrivateKeyFile(file, keyPem); // replacing keeps the mode
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const loose = path.join(dir, 'loose.key');
      await writeFile(loose, keyPem);
      await chmod(loose, 0o644);
      await expect(readPrivateKeyFile(loose)).rejects.toThrow(/chmod 600|accessible/);
      expect(await readFile(file, 'utf8')).toContain('PRIVATE KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
