/**
 * A fake upstream resolver for tests: a tiny dns-packet server on a loopback address that
 * answers every A query with one fixed address, or stays silent. It records what it saw.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface FakeUpstream {
  address: string;
  port: number;
  /** `ip:port` for the resolver's upstream list. */
  spec: string;
  seen: Array<{ name: string; type: string; transport: 'udp' | 'tcp'; from: string }>;
  close(): Promise<void>;
}

export async function startFakeUpstream(o: { address?: string; answer?: string; silent?: boolean; ttl?: number } = {}): Promise<FakeUpstream> {
  const address = o.address ?? '127.0.0.1';
  const seen: FakeUpstream['seen'] = [];
  const reply = (msg: Buffer, transport: 'udp' | 'tcp', from: string): Buffer | undefined => {
    const q = dnsPacket.decode(msg);
    const question = q.questions?.[0];
    if (question) seen.push({ name: question.name, type: question.type, transport, from });
    if (o.silent || !question) return undefined;
    return dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: dnsPacket.RECURSION_AVAILABLE | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
      questions: q.questions ?? [],
      answers: question.type === 'A' ? [{ type: 'A', name: question.name, ttl: o.ttl ?? 300, data: o.answer ?? '198.51.100.7' }] : [],
    });
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, r) => {
    const out = reply(msg, 'udp', r.address);
    if (out) udp.send(out, r.port, r.address);
  });
  await new Promise<void>((res) => udp.bind(0, address, () => res()));
  const port = udp.address().port;
  const conns = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => undefined);
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const out = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), 'tcp', s.remoteAddress ?? '');
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (out) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          s.write(Buffer.concat([len, out]));
        }
      }
    });
  });
  // The TCP side on the same port when it is free; tests that need TCP forwarding check `seen`.
  await new Promise<void>((res, rej) => {
    tcp.once('error', rej);
    tcp.listen(port, address, () => res());
  });
  return {
    address,
    port,
    spec: `${address}:${port}`,
    seen,
    close: async () => {
      udp.close();
      for (const c of conns) c.destroy();
      await new Promise<void>((res) => tcp.close(() => res()));
    },
  };
}
