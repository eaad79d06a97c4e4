/**
 * The certificates the CA issues work for Node's mutual TLS as the cluster will use it (loopback
 * only): the server presents a manager certificate, the client a worker certificate, both trust
 * only the root, the client pins the server name `swarm-manager`, and each side reads the peer's
 * identity back with verifyNodeCertificate.
 */
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RootCA, createNodeKeyAndCsr, verifyNodeCertificate, type NodeRole } from '../../../src/swarm/ca/index.js';

async function node(ca: RootCA, nodeId: string, role: NodeRole): Promise<{ cert: string; key: string }> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  return { cert: await ca.issue(csrPem, { nodeId, role }), key: keyPem };
}

function peerPem(s: tls.TLSSocket): string {
  return new X509Certificate(s.getPeerCertificate().raw).toString();
}

/** Connects a client to a server; resolves with both sides' views or rejects with the TLS error. */
function handshake(server: tls.SecureContextOptions, client: tls.SecureContextOptions, servername: string): Promise<{ serverSaw: string; clientSaw: string }> {
  return new Promise((resolve, reject) => {
    let serverSaw = '';
    const srv = tls.createServer({ ...server, requestCert: true, rejectUnauthorized: true }, (s) => {
      serverSaw = peerPem(s);
      s.end('ok');
    });
    srv.on('tlsClientError', () => undefined);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      const c = tls.connect({ ...client, host: '127.0.0.1', port, servername, rejectUnauthorized: true }, () => {
        const clientSaw = peerPem(c);
        c.on('data', () => undefined);
        c.on('end', () => {
          srv.close();
          resolve({ serverSaw, clientSaw });
        });
      });
      c.on('error', (e: Error) => {
        srv.close();
        reject(e);
      });
    });
  });
}

describe('node certificates over TLS', () => {
  it('mutual TLS between a manager and a worker of one cluster, identities read back', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1' });
    const m = await node(ca, 'm1', 'manager');
    const w = await node(ca, 'w1', 'worker');
    const r = await handshake({ ...m, ca: ca.certPem }, { ...w, ca: ca.certPem }, 'swarm-manager');
    expect(await verifyNodeCertificate(r.serverSaw, ca.certPem, { role: 'worker' })).toMatchObject({ nodeId: 'w1', clusterId: 'c1' });
    expect(await verifyNodeCertificate(r.clientSaw, ca.certPem, { role: 'manager' })).toMatchObject({ nodeId: 'm1', clusterId: 'c1' });
  });

  it('a client pinning swarm-manager refuses a worker acting as server', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1' });
    const w1 = await node(ca, 'w1', 'worker');
    const w2 = await node(ca, 'w2', 'worker');
    await expect(handshake({ ...w1, ca: ca.certPem }, { ...w2, ca: ca.certPem }, 'swarm-manager')).rejects.toThrow(/altnames|Hostname/i);
  });

  it('a node of another cluster cannot connect', async () => {
    const { ca } = await RootCA.create({ clusterId: 'c1' });
    const { ca: other } = await RootCA.create({ clusterId: 'c2' });
    const m = await node(ca, 'm1', 'manager');
    const stranger = await node(other, 'x1', 'manager');
    await expect(handshake({ ...m, ca: ca.certPem }, { ...stranger, ca: other.certPem }, 'swarm-manager')).rejects.toThrow();
  });
});
