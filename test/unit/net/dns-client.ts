/** A test DNS client over UDP or TCP, with a chosen source address and a deadline. */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface Target {
  address: string;
  port: number;
}

let nextId = 1;

export function queryPacket(name: string, type: dnsPacket.RecordType = 'A', id = nextId++): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
}

/** Sends raw bytes over UDP from `from` and resolves with the reply, or undefined after `ms`. */
export function udpRaw(to: Target, bytes: Buffer, o: { from?: string; ms?: number } = {}): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const done = (v: Buffer | undefined) => {
      clearTimeout(t);
      s.close();
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), o.ms ?? 2000);
    s.on('message', (m) => done(m));
    s.on('error', (e) => {
      clearTimeout(t);
      s.close();
      reject(e);
    });
    s.bind(0, o.from ?? '127.0.0.1', () => s.connect(to.port, to.address, () => s.send(bytes)));
  });
}

export async function udpQuery(to: Target, name: string, type: dnsPacket.RecordType = 'A', from?: string): Promise<dnsPacket.DecodedPacket> {
  const id = nextId++;
  const r = await udpRaw(to, queryPacket(name, type, id), { ...(from ? { from } : {}) });
  if (!r) throw new Error(`no UDP answer for ${name} from ${to.address}:${to.port}`);
  const p = dnsPacket.decode(r);
  if (p.id !== id) throw new Error(`answer id ${p.id}, asked ${id}`);
  return p;
}

/** Sends length-prefixed queries on one TCP connection and collects `count` replies. */
export function tcpRaw(to: Target, frames: Buffer[], o: { from?: string; ms?: number; count?: number } = {}): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to.address, port: to.port, ...(o.from ? { localAddress: o.from } : {}) });
    const out: Buffer[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const want = o.count ?? frames.length;
    const t = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, o.ms ?? 2000);
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length >= want) {
        clearTimeout(t);
        s.destroy();
        resolve(out);
      }
    });
    s.on('connect', () => s.write(Buffer.concat(frames)));
  });
}

export function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

export async function tcpQuery(to: Target, name: string, type: dnsPacket.RecordType = 'A', from?: string): Promise<dnsPacket.DecodedPacket> {
  const [r] = await tcpRaw(to, [frame(queryPacket(name, type))], { ...(from ? { from } : {}) });
  if (!r) throw new Error(`no TCP answer for ${name}`);
  return dnsPacket.decode(r);
}

export const rcode = (p: dnsPacket.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;
// eslint-disable-next-line @typescript-eslint/no-base-to-string -- only A/AAAA/PTR answers (string data) are asked for
export const addrs = (p: dnsPacket.DecodedPacket): string[] => (p.answers ?? []).map((a) => String('data' in a ? a.data : ''));
