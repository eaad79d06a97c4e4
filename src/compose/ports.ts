/**
 * Port syntax. Short form `[HOST_IP:][PUBLISHED[-RANGE]:]TARGET[-RANGE][/PROTOCOL]` (IPv6 host IPs
 * in brackets) expands to one long-form entry per container port, as Compose does.
 */

export interface RawPort {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: string;
}

export function parsePortSpec(spec: string): RawPort[] {
  let s = spec.trim();
  let protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    protocol = s.slice(slash + 1);
    s = s.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol)) throw new Error(`invalid protocol "${protocol}"`);
  }
  let hostIp: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') throw new Error(`invalid port "${spec}"`);
    hostIp = s.slice(1, end);
    s = s.slice(end + 2);
  }
  const parts = s.split(':');
  let published: string | undefined;
  let target: string;
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) {
    published = parts[0];
    target = parts[1]!;
  } else if (parts.length === 3 && hostIp === undefined) {
    hostIp = parts[0];
    published = parts[1];
    target = parts[2]!;
  } else throw new Error(`invalid port "${spec}"`);
  if (hostIp !== undefined && hostIp !== '' && !/^[0-9a-fA-F.:]+$/.test(hostIp)) throw new Error(`invalid host IP "${hostIp}"`);
  if (published === '') published = undefined;
  const [tLo, tHi] = range(target, spec);
  const out: RawPort[] = [];
  if (published === undefined) {
    for (let p = tLo; p <= tHi; p++) out.push(port(p, undefined, hostIp, protocol));
    return out;
  }
  const [pLo, pHi] = range(published, spec);
  if (tLo === tHi) return [port(tLo, pLo === pHi ? String(pLo) : `${pLo}-${pHi}`, hostIp, protocol)];
  if (pHi - pLo !== tHi - tLo) throw new Error(`port ranges don't match in "${spec}"`);
  for (let i = 0; i <= tHi - tLo; i++) out.push(port(tLo + i, String(pLo + i), hostIp, protocol));
  return out;
}

function port(target: number, published: string | undefined, hostIp: string | undefined, protocol: string): RawPort {
  const p: RawPort = { target, protocol };
  if (published !== undefined) p.published = published;
  if (hostIp) p.host_ip = hostIp;
  return p;
}

function range(s: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid port "${spec}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new Error(`invalid port range in "${spec}": ${lo} is above ${hi}`);
  if (lo < 1 || hi > 65535) throw new Error(`port out of range in "${spec}" (1-65535)`);
  if (hi - lo > 10000) throw new Error(`port range too large in "${spec}"`);
  return [lo, hi];
}

/** Validates a published value from the long syntax ("8080" or "8080-8090"). */
export function checkPublished(s: string): void {
  range(s, s);
}
