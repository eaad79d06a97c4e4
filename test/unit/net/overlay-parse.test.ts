/**
 * Readers of iproute2 and nft JSON, on output captured from this machine's kernel (iproute2 6.1,
 * nftables 1.0.6): our VXLAN device with flood and unicast entries and its shim (a bridge-mode
 * macvlan holding the host's overlay address), a second (learning, down) VXLAN device with a
 * shim of its own, neighbours on the shim (one permanent, one learned), and our firewall table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OverlayParseError } from '../../../src/net/overlay/errors.js';
import { FIREWALL } from '../../../src/net/overlay/firewall.js';
import { parseFdb, parseFirewall, parseLinks, parseNeighbours } from '../../../src/net/overlay/parse.js';

const fx = (f: string): string => readFileSync(new URL(`./fixtures/overlay/${f}`, import.meta.url), 'utf8');

describe('overlay: parsing kernel output', () => {
  it('reads links with their kind, flags, VXLAN parameters, macvlan parent and mode, and IPv4 addresses', () => {
    const links = parseLinks(fx('ip-addr.json'));
    expect(links.map((l) => l.name)).toEqual(['lo', 'tsvx-1d509e1a7b', 'tsgw-1d509e1a7b', 'tsvx-ffffffffff', 'tsgw-ffffffffff']);
    expect(links[0]).toMatchObject({ kind: undefined, up: true, vxlan: undefined, addresses: ['127.0.0.1/8'] });
    expect(links[1]).toEqual({ name: 'tsvx-1d509e1a7b', kind: 'vxlan', mtu: 1450, mac: 'f6:f8:6c:81:56:56', up: true, master: undefined, vxlan: { vni: 4100, port: 4789, local: '10.199.250.11', learning: false }, addresses: [] });
    expect(links[2]).toEqual({ name: 'tsgw-1d509e1a7b', kind: 'macvlan', mtu: 1450, mac: '02:42:0a:4d:00:01', up: true, master: undefined, vxlan: undefined, parent: 'tsvx-1d509e1a7b', macvlanMode: 'bridge', addresses: ['10.77.0.1/24'] });
    expect(links[3]).toMatchObject({ up: false, mtu: 1500, vxlan: { vni: 4200, learning: true } });
    expect(links[4]).toMatchObject({ kind: 'macvlan', up: false, parent: 'tsvx-ffffffffff', addresses: [] });
    // Read without addresses (`ip link`), a link has none to report, not an empty list.
    expect(parseLinks('[{"ifname":"eth0","mtu":1500,"flags":["UP"]}]')[0]).not.toHaveProperty('addresses');
  });

  it("reads a VXLAN device's own fdb entries and skips a bridge's", () => {
    expect(parseFdb(fx('bridge-fdb.json'))).toEqual([
      { mac: '02:42:0a:4d:00:05', dst: '10.199.250.12' },
      { mac: '00:00:00:00:00:00', dst: '10.199.250.12' },
      { mac: '00:00:00:00:00:00', dst: '10.199.250.13' },
    ]);
    expect(parseFdb('[{"mac":"02:42:0a:4d:00:07","master":"br0","state":"static"}]')).toEqual([]);
    expect(parseFdb('[]')).toEqual([]);
    expect(parseFdb('')).toEqual([]);
  });

  it('reads neighbours, permanent or not, IPv4 only', () => {
    expect(parseNeighbours(fx('ip-neigh.json'))).toEqual([
      { ip: '10.77.0.5', mac: '02:42:0a:4d:00:05', permanent: true },
      { ip: '10.77.0.9', mac: '02:42:0a:4d:00:09', permanent: false },
    ]);
    const more = '[{"dst":"10.77.0.10","state":["FAILED"]},{"dst":"fe80::1","lladdr":"02:42:0a:4d:00:0a","state":["REACHABLE"]}]';
    expect(parseNeighbours(more)).toEqual([{ ip: '10.77.0.10', mac: undefined, permanent: false }]);
  });

  it('recognises our firewall table, its sets and the drop counter', () => {
    expect(parseFirewall(fx('nft-table.json'), FIREWALL)).toEqual({ intact: true, vteps: ['10.199.250.12', '10.199.250.13'], ports: [4789], dropped: 0 });
  });

  it('calls the table not intact when a rule is missing or the chain differs', () => {
    const doc = JSON.parse(fx('nft-table.json')) as { nftables: Array<Record<string, Record<string, unknown>>> };
    const withoutDrop = { nftables: doc.nftables.filter((x) => x.rule?.comment !== 'tsswarm-drop') };
    expect(parseFirewall(JSON.stringify(withoutDrop), FIREWALL).intact).toBe(false);
    const withoutForward = { nftables: doc.nftables.filter((x) => x.chain?.name !== 'forward' && x.rule?.chain !== 'forward') };
    expect(parseFirewall(JSON.stringify(withoutForward), FIREWALL).intact).toBe(false);
    const extraChain = { nftables: [...doc.nftables, { chain: { family: 'inet', table: FIREWALL.table, name: 'mine', handle: 99 } }] };
    expect(parseFirewall(JSON.stringify(extraChain), FIREWALL).intact).toBe(false);
    const otherPolicy = { nftables: doc.nftables.map((x) => (x.chain !== undefined ? { chain: { ...x.chain, policy: 'drop' } } : x)) };
    expect(parseFirewall(JSON.stringify(otherPolicy), FIREWALL).intact).toBe(false);
    const empty = { nftables: doc.nftables.map((x) => (x.set !== undefined ? { set: { ...x.set, elem: undefined } } : x)) };
    expect(parseFirewall(JSON.stringify(empty), FIREWALL)).toMatchObject({ intact: true, vteps: [], ports: [] });
  });

  it('refuses output it cannot read rather than guessing', () => {
    expect(() => parseLinks('not json')).toThrow(OverlayParseError);
    expect(() => parseLinks('{"ifname":"x"}')).toThrow(/expected a JSON array/);
    expect(() => parseLinks('[{"ifname":"v","mtu":1500,"linkinfo":{"info_kind":"vxlan"}}]')).toThrow(/vxlan without id/);
    expect(() => parseFirewall('[]', FIREWALL)).toThrow(OverlayParseError);
  });
});
