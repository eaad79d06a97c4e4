import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FrameKind, TcpTransport, encodeFrame, type TlsMaterial } from '../../../src/raft/transport/index.js';
import type { Message } from '../../../src/raft/types.js';

const live: TcpTransport[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((t) => t.stop()));
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function node(id: string, opts: { tls?: TlsMaterial; port?: number; chunk?: number } = {}) {
  const got: Message[] = [];
  const warnings: string[] = [];
  const t = new TcpTransport({
    id,
    listen: { host: '127.0.0.1', port: opts.port ?? 0 },
    onMessage: (m) => got.push(m),
    logger: { warn: (m) => warnings.push(m) },
    minBackoffMs: 20,
    maxBackoffMs: 100,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.chunk ? { snapshotChunkBytes: opts.chunk } : {}),
  });
  const addr = await t.start();
  live.push(t);
  return { t, got, warnings, addr: `127.0.0.1:${addr.port}`, port: addr.port };
}

const append = (from: string, to: string, i: number): Message => ({
  type: 'append',
  from,
  to,
  term: 3,
  logTerm: 2,
  index: i,
  commit: i,
  entries: [{ term: 3, index: i + 1, type: 0, data: new Uint8Array([i & 255, 1, 2]) }],
});

describe('TcpTransport over plain TCP', () => {
  it('delivers messages in order, entries as bytes', async () => {
    const a = await node('a');
    const b = await node('b');
    a.t.setPeer('b', b.addr);
    for (let i = 0; i < 200; i++) a.t.send([append('a', 'b', i)]);
    await until(() => b.got.length === 200);
    expect(b.got.map((m) => m.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(b.got[7]).toEqual(append('a', 'b', 7));
    expect(b.got[7]!.entries![0]!.data).toBeInstanceOf(Uint8Array);
  });

  it('streams a large snapshot in chunks and reassembles it', async () => {
    const a = await node('a', { chunk: 1000 });
    const b = await node('b');
    a.t.setPeer('b', b.addr);
    const data = new Uint8Array(10_500).map((_, i) => i % 251);
    a.t.send([{ type: 'snapshot', from: 'a', to: 'b', term: 4, snapshot: { meta: { index: 90, term: 4, conf: { voters: ['a', 'b'], learners: ['c'] } }, data } }]);
    await until(() => b.got.length === 1);
    expect(b.got[0]!.snapshot!.meta).toEqual({ index: 90, term: 4, conf: { voters: ['a', 'b'], learners: ['c'] } });
    expect(b.got[0]!.snapshot!.data).toEqual(data);
  });

  it('logs and drops a connection that sends garbage, and keeps serving peers', async () => {
    const b = await node('b');
    const sock = net.connect(b.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const closed = new Promise((r) => sock.once('close', r));
    sock.on('error', () => undefined);
    sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await closed;
    await until(() => b.warnings.length > 0);
    expect(b.warnings[0]).toMatch(/dropping connection from 127\.0\.0\.1:\d+: /);

    // A well-framed hello followed by an undecodable message is dropped too.
    const sock2 = net.connect(b.port, '127.0.0.1');
    sock2.on('error', () => undefined);
    await new Promise((r) => sock2.once('connect', r));
    const closed2 = new Promise((r) => sock2.once('close', r));
    sock2.write(Buffer.concat([encodeFrame(FrameKind.Hello, new Uint8Array([0, 0, 0, 1, 0x78])), encodeFrame(FrameKind.Message, new Uint8Array([200, 1, 2]))]));
    await closed2;
    await until(() => b.warnings.length > 1);

    const a = await node('a');
    a.t.setPeer('b', b.addr);
    a.t.send([append('a', 'b', 1)]);
    await until(() => b.got.length === 1);
  });

  it('reconnects with backoff after the peer restarts', async () => {
    const a = await node('a');
    let b = await node('b');
    const port = b.port;
    a.t.setPeer('b', b.addr);
    a.t.send([append('a', 'b', 1)]);
    await until(() => b.got.length === 1);
    await b.t.stop();
    for (let i = 0; i < 5; i++) {
      a.t.send([append('a', 'b', 2)]);
      await new Promise((r) => setTimeout(r, 30));
    }
    b = await node('b', { port });
    await until(() => {
      a.t.send([append('a', 'b', 3)]);
      return b.got.some((m) => m.index === 3);
    });
  });

  it('drops messages beyond the bounded queue instead of growing without limit', async () => {
    const got: Message[] = [];
    const a = new TcpTransport({ id: 'a', listen: { host: '127.0.0.1', port: 0 }, onMessage: (m) => got.push(m), queueLimit: 10, logger: { warn: () => undefined } });
    await a.start();
    live.push(a);
    // A peer that never accepts: a port with nothing listening.
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    a.setPeer('z', `127.0.0.1:${port}`);
    for (let i = 0; i < 1000; i++) a.send([append('a', 'z', i)]);
    expect(a.stats()['z']!.dropped).toBeGreaterThanOrEqual(990);
  });
});

describe('TcpTransport over mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raft-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  function ca(name: string): void {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '1');
  }
  function leaf(name: string, caName: string): TlsMaterial {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', 'ext.cnf');
    return { ca: readFileSync(join(dir, `${caName}.crt`)), cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
  }
  ca('cluster-ca');
  ca('other-ca');
  const tlsA = leaf('a', 'cluster-ca');
  const tlsB = leaf('b', 'cluster-ca');
  const tlsEvil = leaf('evil', 'other-ca');

  it('members with certificates from the cluster CA exchange messages', async () => {
    const a = await node('a', { tls: tlsA });
    const b = await node('b', { tls: tlsB });
    a.t.setPeer('b', b.addr);
    b.t.setPeer('a', a.addr);
    a.t.send([append('a', 'b', 5)]);
    b.t.send([{ type: 'append-resp', from: 'b', to: 'a', term: 3, index: 6 }]);
    await until(() => b.got.length === 1 && a.got.length === 1);
    expect(b.got[0]).toEqual(append('a', 'b', 5));
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const b = await node('b', { tls: tlsB });
    // The intruder trusts the cluster CA (so it would accept b) but presents a foreign certificate.
    const evil = await node('evil', { tls: { ...tlsEvil, ca: tlsB.ca } });
    evil.t.setPeer('b', b.addr);
    for (let i = 0; i < 5; i++) {
      evil.t.send([append('evil', 'b', i)]);
      await new Promise((r) => setTimeout(r, 40));
    }
    await until(() => b.warnings.some((w) => /TLS handshake from .* refused/.test(w)));
    expect(b.got).toEqual([]);
  });

  it('drops a member whose certificate does not name the id it claims', async () => {
    const b = await node('b', { tls: tlsB });
    const liar = await node('mallory', { tls: tlsA }); // a valid cluster certificate, but for "a"
    liar.t.setPeer('b', b.addr);
    liar.t.send([append('mallory', 'b', 1)]);
    await until(() => b.warnings.some((w) => /claims to be "mallory" but the client certificate does not name it/.test(w)));
    expect(b.got).toEqual([]);
  });

  it('refuses a plain-TCP client on a TLS listener', async () => {
    const b = await node('b', { tls: tlsB });
    const plain = await node('plain');
    plain.t.setPeer('b', b.addr);
    plain.t.send([append('plain', 'b', 1)]);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.got).toEqual([]);
  });
});
