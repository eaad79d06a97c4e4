import { describe, expect, it } from 'vitest';
import {
  AddressPool,
  VniPool,
  checkClusterNetworking,
  chooseSubnet,
  formatAddr,
  formatCidr,
  isIpamError,
  parseAddr,
  parseCidr,
  validatePools,
  type Addr,
} from '../../../src/net/ipam.js';

const cidr = (s: string) => parseCidr(s);
const addr = (s: string) => parseAddr(s);
const fmt = (a: Addr | null) => (a === null ? null : formatAddr(a));

function drain(p: AddressPool, o: Parameters<AddressPool['allocate']>[0] = {}): string[] {
  const out: string[] = [];
  for (let a = p.allocate(o); a !== null; a = p.allocate(o)) out.push(formatAddr(a));
  return out;
}

describe('ipam: parsing', () => {
  it('reads and writes IPv4 addresses and CIDRs', () => {
    expect(fmt(addr('10.0.1.254'))).toBe('10.0.1.254');
    expect(addr('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(formatCidr(cidr('192.168.4.0/22'))).toBe('192.168.4.0/22');
  });

  it('refuses host bits in a subnet (with the likely intent), but reads an interface address as its block', () => {
    expect(() => cidr('10.0.0.5/24')).toThrow('subnet 10.0.0.5/24 has host bits set; did you mean 10.0.0.0/24?');
    expect(formatCidr(parseCidr('192.168.1.7/24', 'node network', { strict: false }))).toBe('192.168.1.0/24');
  });

  it('refuses IPv6 clearly and garbage with the value', () => {
    expect(() => cidr('fd00::/64')).toThrow('IPv6 is not supported yet');
    expect(() => addr('fd00::1')).toThrow('IPv6 is not supported yet');
    expect(() => cidr('10.0.0.0')).toThrow('is not a CIDR');
    expect(() => cidr('10.0.0.0/33')).toThrow('prefix length must be 0-32');
    expect(() => addr('10.1')).toThrow('"10.1" is not an IPv4 address');
    try {
      cidr('fd00::/64');
    } catch (e) {
      expect(isIpamError(e, 'ipv6')).toBe(true);
    }
  });
});

describe('ipam: a subnet pool', () => {
  it('never hands out the network or broadcast address; a /30 has two, a /29 six', () => {
    expect(drain(new AddressPool(cidr('10.0.0.0/30')))).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(drain(new AddressPool(cidr('10.0.0.8/29')))).toEqual(['10.0.0.9', '10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14']);
    const p = new AddressPool(cidr('10.0.0.0/29'));
    expect(p.reserve(addr('10.0.0.0'))).toBe(false);
    expect(p.reserve(addr('10.0.0.7'))).toBe(false);
  });

  it('refuses a /31 and a /32', () => {
    expect(() => new AddressPool(cidr('10.0.0.0/31'))).toThrow('a /31 or /32 has no room');
    expect(() => new AddressPool(cidr('10.0.0.1/32'))).toThrow('a /31 or /32 has no room');
  });

  it('allocates lowest free first, takes a specific address once, and reuses released ones', () => {
    const p = new AddressPool(cidr('10.0.0.0/24'));
    expect(p.reserve(addr('10.0.0.1'))).toBe(true); // the gateway
    expect(p.reserve(addr('10.0.0.1'))).toBe(false);
    expect(fmt(p.allocate())).toBe('10.0.0.2');
    expect(fmt(p.allocate())).toBe('10.0.0.3');
    p.release(addr('10.0.0.2'));
    expect(fmt(p.allocate())).toBe('10.0.0.2');
    expect(fmt(p.allocate())).toBe('10.0.0.4');
    expect(p.usage()).toEqual({ used: 4, total: 254 });
  });

  it('reports exhaustion as null with usage 254 of 254', () => {
    const p = new AddressPool(cidr('10.0.0.0/24'));
    expect(drain(p)).toHaveLength(254);
    expect(p.allocate()).toBeNull();
    expect(p.usage()).toEqual({ used: 254, total: 254 });
  });

  it('an ip range restricts task addresses; node gateways come from the whole subnet', () => {
    const p = new AddressPool(cidr('10.0.0.0/24'), cidr('10.0.0.128/30'));
    expect(drain(p)).toEqual(['10.0.0.128', '10.0.0.129', '10.0.0.130', '10.0.0.131']);
    expect(p.usage()).toEqual({ used: 4, total: 4 });
    expect(fmt(p.allocate({ where: 'subnet' }))).toBe('10.0.0.1');
    expect(p.inRange(addr('10.0.0.1'))).toBe(false);
    expect(() => new AddressPool(cidr('10.0.0.0/24'), cidr('10.0.1.0/25'))).toThrow('ip range 10.0.1.0/25 is not inside subnet 10.0.0.0/24');
  });

  it('an ip range equal to the subnet still skips network and broadcast', () => {
    const p = new AddressPool(cidr('10.0.0.0/30'), cidr('10.0.0.0/30'));
    expect(drain(p)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('keepFree leaves room for gateways and refuses before the subnet is full', () => {
    const p = new AddressPool(cidr('10.0.0.0/29')); // 6 host addresses
    expect(drain(p, { keepFree: 2 })).toHaveLength(4);
    expect(p.allocate({ where: 'subnet' })).not.toBeNull();
    expect(p.allocate({ where: 'subnet' })).not.toBeNull();
    expect(p.allocate({ where: 'subnet' })).toBeNull();
  });
});

describe('ipam: attachment blocks', () => {
  const block = (p: AddressPool, prefix: number) => {
    const c = p.allocateBlock(prefix);
    return c === null ? null : formatCidr(c);
  };

  it('takes aligned blocks from the top down, all of their addresses at once', () => {
    const p = new AddressPool(cidr('10.0.0.0/24'));
    expect(block(p, 28)).toBe('10.0.0.240/28');
    expect(block(p, 28)).toBe('10.0.0.224/28');
    // 15 host addresses of the top block (the broadcast address is none) and 16 of the next.
    expect(p.usage()).toEqual({ used: 31, total: 254 });
    expect(p.reserve(addr('10.0.0.230'))).toBe(false);
    // Tasks still come from the bottom, never from a block.
    expect(fmt(p.allocate())).toBe('10.0.0.1');
  });

  it('skips a block with any address in use, and gives null once none is wholly free', () => {
    const p = new AddressPool(cidr('10.0.0.0/28'));
    expect(p.reserve(addr('10.0.0.13'))).toBe(true);
    expect(block(p, 30)).toBe('10.0.0.8/30');
    expect(block(p, 30)).toBe('10.0.0.4/30');
    expect(block(p, 30)).toBe('10.0.0.0/30');
    expect(block(p, 30)).toBeNull();
  });

  it('prefers blocks outside the ip range: above it, then below it, then inside it', () => {
    const p = new AddressPool(cidr('10.0.0.0/26'), cidr('10.0.0.16/28'));
    expect(block(p, 28)).toBe('10.0.0.48/28');
    expect(block(p, 28)).toBe('10.0.0.32/28');
    expect(block(p, 28)).toBe('10.0.0.0/28');
    expect(block(p, 28)).toBe('10.0.0.16/28');
    expect(block(p, 28)).toBeNull();
  });

  it('refuses a block that does not fit: not smaller than the subnet, or past /30', () => {
    const p = new AddressPool(cidr('10.0.0.0/28'));
    expect(block(p, 28)).toBeNull();
    expect(block(p, 31)).toBeNull();
    expect(p.usage().used).toBe(0);
  });

  it('reserves a stored block only when every address in it is free and it lies in the subnet', () => {
    const p = new AddressPool(cidr('10.0.0.0/24'));
    expect(p.reserve(addr('10.0.0.17'))).toBe(true);
    expect(p.reserveBlock(cidr('10.0.0.16/28'))).toBe(false);
    expect(p.reserveBlock(cidr('10.0.1.0/28'))).toBe(false);
    expect(p.reserveBlock(cidr('10.0.0.32/28'))).toBe(true);
    expect(p.reserveBlock(cidr('10.0.0.32/28'))).toBe(false);
    expect(block(p, 28)).toBe('10.0.0.240/28');
  });

  it('finds the last free blocks of a nearly full /16 (the scan walks busy blocks, not addresses)', () => {
    const p = new AddressPool(cidr('10.1.0.0/16'));
    for (let a = addr('10.1.0.1'); a <= addr('10.1.255.100'); a++) p.reserve(a);
    expect(block(p, 28)).toBe('10.1.255.240/28');
    expect(block(p, 28)).toBe('10.1.255.224/28');
    expect(block(p, 28)).toBe('10.1.255.208/28');
    expect(block(p, 28)).toBe('10.1.255.192/28');
    expect(block(p, 28)).toBe('10.1.255.176/28');
    expect(block(p, 28)).toBe('10.1.255.160/28');
    expect(block(p, 28)).toBe('10.1.255.144/28');
    expect(block(p, 28)).toBe('10.1.255.128/28');
    expect(block(p, 28)).toBe('10.1.255.112/28');
    expect(block(p, 28)).toBeNull();
  });
});

describe('ipam: choosing a subnet from the pools', () => {
  const pools = [cidr('10.0.0.0/8')];

  it('takes the first /24 that overlaps nothing', () => {
    expect(formatCidr(chooseSubnet(pools, 24, [])!)).toBe('10.0.0.0/24');
    const taken = [
      { cidr: cidr('10.0.0.0/24'), what: 'network a' },
      { cidr: cidr('10.0.1.0/24'), what: 'network b' },
    ];
    expect(formatCidr(chooseSubnet(pools, 24, taken)!)).toBe('10.0.2.0/24');
  });

  it('skips host networks in one jump, including a /16 that covers thousands of candidates', () => {
    const taken = [{ cidr: parseCidr('10.0.0.7/16', 'node network', { strict: false }), what: 'h1' }];
    expect(formatCidr(chooseSubnet(pools, 24, taken)!)).toBe('10.1.0.0/24');
    // A small host route in the middle of a block makes the whole block unusable.
    expect(formatCidr(chooseSubnet(pools, 24, [{ cidr: cidr('10.0.0.77/32'), what: 'route' }])!)).toBe('10.0.1.0/24');
  });

  it('moves on to the next pool, and gives null when every block is taken', () => {
    const two = [cidr('10.10.0.0/23'), cidr('192.168.0.0/24')];
    const taken = [{ cidr: cidr('10.10.0.0/23'), what: 'x' }];
    expect(formatCidr(chooseSubnet(two, 24, taken)!)).toBe('192.168.0.0/24');
    expect(chooseSubnet(two, 24, [...taken, { cidr: cidr('192.168.0.0/16'), what: 'y' }])).toBeNull();
  });

  it('validates pools: overlap, size, syntax', () => {
    expect(validatePools(['10.0.0.0/8', '192.168.0.0/16'], 24)).toHaveLength(2);
    expect(() => validatePools(['10.0.0.0/8', '10.20.0.0/16'], 24)).toThrow('address pools 10.0.0.0/8 and 10.20.0.0/16 overlap');
    expect(() => validatePools(['10.0.0.0/26'], 24)).toThrow('subnet size /24 is larger than address pool 10.0.0.0/26');
    expect(() => validatePools(['10.0.0.0/8'], 31)).toThrow('must be 1-30');
    expect(() => validatePools(['fd00::/8'], 24)).toThrow('IPv6 is not supported yet');
  });

  it('checks the init settings and names the field', () => {
    const ok = { defaultAddrPools: ['10.0.0.0/8'], subnetSize: 24, vxlanPort: 4789 };
    expect(checkClusterNetworking(ok)).toBeNull();
    expect(checkClusterNetworking({ ...ok, vxlanPort: 80 })?.field).toBe('vxlanPort');
    expect(checkClusterNetworking({ ...ok, subnetSize: 32 })?.field).toBe('subnetSize');
    expect(checkClusterNetworking({ ...ok, defaultAddrPools: ['10.0.0.0/8', '10.1.0.0/16'] })).toEqual({ field: 'defaultAddrPools', message: 'address pools 10.0.0.0/8 and 10.1.0.0/16 overlap' });
    expect(checkClusterNetworking({ ...ok, defaultAddrPools: ['10.0.0.0/26'] })?.field).toBe('subnetSize');
  });
});

describe('ipam: VNIs', () => {
  it('starts at 4096, never repeats, and reuses a released one', () => {
    const v = new VniPool();
    expect(v.reserve(4097)).toBe(true);
    expect(v.reserve(4097)).toBe(false);
    expect(v.reserve(100)).toBe(false);
    expect([v.allocate(), v.allocate()]).toEqual([4096, 4098]);
    v.release(4097);
    expect(v.allocate()).toBe(4097);
  });

  it('runs out as null', () => {
    const v = new VniPool(4096, 4097);
    expect([v.allocate(), v.allocate(), v.allocate()]).toEqual([4096, 4097, null]);
  });
});
