/**
 * The path the swarm control plane will take, on the lab: a node daemon started per host with
 * spawnInHost, serving mutual TLS with a manager certificate from the cluster CA on its underlay
 * address, and a worker on another host connecting to it by that address with server name
 * `swarm-manager`. Also shows a cut link stops it. Needs root (see lab-harness.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RootCA, createNodeKeyAndCsr, writePrivateKeyFile, type NodeRole } from '../../src/swarm/ca/index.js';
import { Lab, eventually, teardownLab, type LabConfig } from './harness.js';

const CFG: LabConfig = { name: 'tslm', net: 3 };
const PORT = 4242;

// Plain Node scripts: the lab runs them with the same node binary inside a host.
const SERVER = `
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
const [dir, host, port] = process.argv.slice(2);
const f = (n) => readFileSync(dir + '/' + n);
const srv = tls.createServer({ cert: f('m1.crt'), key: f('m1.key'), ca: f('ca.crt'), requestCert: true, rejectUnauthorized: true }, (s) => {
  const peer = s.getPeerCertificate().subject;
  s.end(JSON.stringify({ peerCN: peer.CN, peerOU: peer.OU }) + '\\n');
});
srv.listen(Number(port), host, () => console.log('listening'));
`;
const CLIENT = `
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
const [dir, host, port] = process.argv.slice(2);
const f = (n) => readFileSync(dir + '/' + n);
const c = tls.connect({ host, port: Number(port), servername: 'swarm-manager', cert: f('w1.crt'), key: f('w1.key'), ca: f('ca.crt'), timeout: 3000 }, () => {
  let buf = '';
  c.on('data', (d) => (buf += d));
  c.on('end', () => { console.log(JSON.stringify({ serverCN: c.getPeerCertificate().subject.CN, reply: JSON.parse(buf) })); });
});
c.on('timeout', () => { console.error('timeout'); process.exit(2); });
c.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

let lab: Lab;
let dir: string;

async function issueTo(ca: RootCA, name: string, role: NodeRole): Promise<void> {
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  await writePrivateKeyFile(path.join(dir, `${name}.key`), keyPem);
  await writeFile(path.join(dir, `${name}.crt`), await ca.issue(csrPem, { nodeId: name, role }));
}

describe('mutual TLS between lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    dir = await mkdtemp(path.join(tmpdir(), 'tslab-mtls-'));
    const { ca } = await RootCA.create({ clusterId: 'lab' });
    await writeFile(path.join(dir, 'ca.crt'), ca.certPem);
    await issueTo(ca, 'm1', 'manager');
    await issueTo(ca, 'w1', 'worker');
    await writeFile(path.join(dir, 'server.mjs'), SERVER);
    await writeFile(path.join(dir, 'client.mjs'), CLIENT);
    // No engine images are needed here: the daemons are plain processes in the hosts.
    lab = await Lab.up({ ...CFG, hosts: 2, images: [] });
  }, 120_000);

  afterAll(async () => {
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('a worker on h2 reaches the manager daemon on h1 over the underlay, both identities checked', async () => {
    const h1 = lab.host('h1');
    lab.spawnInHost(h1, process.execPath, [path.join(dir, 'server.mjs'), dir, h1.ip, String(PORT)], {}, { logFile: path.join(dir, 'server.log') });
    const client = () => lab.exec('h2', [process.execPath, path.join(dir, 'client.mjs'), dir, h1.ip, String(PORT)], { check: false, timeoutMs: 10_000 });
    const ok = await eventually(async () => {
      const r = await client();
      return r.code === 0 ? r.stdout : undefined;
    }, { timeoutMs: 15_000, what: 'the TLS server on h1' });
    expect(JSON.parse(ok)).toEqual({ serverCN: 'm1', reply: { peerCN: 'w1', peerOU: 'swarm-worker' } });

    await lab.cut('h1');
    expect((await client()).code).not.toBe(0);
    await lab.heal('h1');
    await eventually(async () => (await client()).code === 0, { timeoutMs: 15_000, what: 'h1 after healing its link' });
  }, 60_000);
});
