/**
 * The overlay planner: what it commands on a fresh host, that a converged host gets no command at
 * all, and the smallest change for each kind of drift. The toy kernel in overlay-fake-kernel.ts
 * applies the plans, so "apply, then plan again is empty" is checked for every scenario.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIREWALL, renderFirewall } from '../../../src/net/overlay/firewall.js';
import { overlayDeviceNames } from '../../../src/net/overlay/names.js';
import { parseFdb, parseFirewall, parseLinks, parseNeighbours } from '../../../src/net/overlay/parse.js';
import { plan, planTeardown } from '../../../src/net/overlay/plan.js';
import type { ObservedLink, OverlayCommand, OverlayHostWanted, OverlayObserved, OverlayWanted } from '../../../src/net/overlay/types.js';
import { applyFake } from './overlay-fake-kernel.js';

const LOCAL = '10.199.4.11';
const A = overlayDeviceNames('net-a');
const B = overlayDeviceNames('net-b');

function overlay(key: string, over: Partial<OverlayWanted> = {}): OverlayWanted {
  const n = overlayDeviceNames(key);
  return {
    key,
    shim: n.shim,
    vxlan: n.vxlan,
    address: key === 'net-a' ? '10.77.0.1/24' : '10.78.0.1/24',
    vni: key === 'net-a' ? 4100 : 4101,
    port: 4789,
    mtu: 1450,
    local: LOCAL,
    peers: ['10.199.4.12', '10.199.4.13'],
    remotes: [
      { ip: '10.77.0.2', mac: '02:42:0a:4d:00:02', vtep: '10.199.4.12' },
      { ip: '10.77.0.3', mac: '02:42:0a:4d:00:03', vtep: '10.199.4.13' },
    ],
    ...over,
  };
}

function host(overlays: OverlayWanted[] = [overlay('net-a')], over: Partial<OverlayHostWanted> = {}): OverlayHostWanted {
  return { overlays, allowedVteps: ['10.199.4.12', '10.199.4.13'], port: 4789, ...over };
}

/** A host where we have done nothing yet. */
function fresh(): OverlayObserved {
  return {
    links: [{ name: 'lo', kind: undefined, mtu: 65536, up: true, master: undefined, vxlan: undefined }, { name: 'eth0', kind: 'veth', mtu: 1500, up: true, master: undefined, vxlan: undefined }],
    fdb: {},
    neighbours: {},
    firewall: undefined,
  };
}

const text = (cmds: readonly OverlayCommand[]): string[] => cmds.map((c) => c.argv.join(' '));

/** Plans, applies on the toy kernel, and checks the next plan is empty; returns the commands and the new state. */
function converge(w: OverlayHostWanted, s: OverlayObserved): { cmds: readonly OverlayCommand[]; state: OverlayObserved } {
  const p = plan(w, s);
  const state = applyFake(s, p.commands);
  expect(text(plan(w, state).commands)).toEqual([]);
  return { cmds: p.commands, state };
}

const setLink = (s: OverlayObserved, name: string, f: (l: ObservedLink) => ObservedLink): OverlayObserved => ({ ...s, links: s.links.map((l) => (l.name === name ? f(l) : l)) });

describe('overlay planner', () => {
  it('programs a fresh host: firewall, VXLAN device, shim with its address, flood and unicast fdb, neighbours, in that order', () => {
    const { cmds } = converge(host(), fresh());
    expect(text(cmds)).toEqual([
      'nft -f -',
      `ip link add ${A.vxlan} mtu 1450 up type vxlan id 4100 dstport 4789 local ${LOCAL} nolearning`,
      `ip link add ${A.shim} link ${A.vxlan} address 02:42:0a:4d:00:01 mtu 1450 type macvlan mode bridge`,
      `ip addr replace 10.77.0.1/24 dev ${A.shim}`,
      `ip link set dev ${A.shim} up`,
      `bridge fdb append 00:00:00:00:00:00 dev ${A.vxlan} dst 10.199.4.12 self permanent`,
      `bridge fdb append 00:00:00:00:00:00 dev ${A.vxlan} dst 10.199.4.13 self permanent`,
      `bridge fdb replace 02:42:0a:4d:00:02 dev ${A.vxlan} dst 10.199.4.12 self permanent`,
      `bridge fdb replace 02:42:0a:4d:00:03 dev ${A.vxlan} dst 10.199.4.13 self permanent`,
      `ip neigh replace 10.77.0.2 lladdr 02:42:0a:4d:00:02 dev ${A.shim} nud permanent`,
      `ip neigh replace 10.77.0.3 lladdr 02:42:0a:4d:00:03 dev ${A.shim} nud permanent`,
    ]);
    expect(cmds[0]?.input).toBe(renderFirewall(['10.199.4.12', '10.199.4.13'], [4789]));
    expect(cmds[0]?.input).toContain('udp dport @ports ip saddr @vteps accept');
    expect(cmds[0]?.input).toContain('iifname "tsgw-*" counter drop');
    expect(cmds[0]?.input).toContain('oifname "tsgw-*" counter drop');
  });

  it('plans nothing for a host that already matches', () => {
    const { state } = converge(host([overlay('net-a'), overlay('net-b')]), fresh());
    expect(plan(host([overlay('net-a'), overlay('net-b')]), state).commands).toEqual([]);
    // Order of peers, remotes and networks in the wanted state does not matter.
    const shuffled = host([overlay('net-b', { peers: ['10.199.4.13', '10.199.4.12'] }), overlay('net-a', { remotes: [...overlay('net-a').remotes].reverse() })], { allowedVteps: ['10.199.4.13', '10.199.4.12'] });
    expect(plan(shuffled, state).commands).toEqual([]);
  });

  it('plans nothing for a real kernel state read back from iproute2 and nft, except deleting the stale devices in it', () => {
    const fx = (f: string): string => readFileSync(new URL(`./fixtures/overlay/${f}`, import.meta.url), 'utf8');
    const n = overlayDeviceNames('net-a');
    const observed: OverlayObserved = {
      links: parseLinks(fx('ip-addr.json')),
      fdb: { [n.vxlan]: parseFdb(fx('bridge-fdb.json')) },
      neighbours: { [n.shim]: parseNeighbours(fx('ip-neigh.json')) },
      firewall: parseFirewall(fx('nft-table.json'), FIREWALL),
    };
    const w = host([overlay('net-a', { local: '10.199.250.11', peers: ['10.199.250.12', '10.199.250.13'], remotes: [{ ip: '10.77.0.5', mac: '02:42:0A:4D:00:05', vtep: '10.199.250.12' }] })], { allowedVteps: ['10.199.250.12', '10.199.250.13'] });
    // The capture also holds a stale VXLAN device with a shim of its own: the device goes, its shim with it.
    expect(text(plan(w, observed).commands)).toEqual(['ip link del dev tsvx-ffffffffff']);
  });

  it('adds and removes exactly one flood entry when a peer joins or leaves', () => {
    const { state } = converge(host(), fresh());
    const joined = converge(host([overlay('net-a', { peers: ['10.199.4.12', '10.199.4.13', '10.199.4.14'] })], { allowedVteps: ['10.199.4.12', '10.199.4.13', '10.199.4.14'] }), state);
    expect(text(joined.cmds)).toEqual(['nft -f -', `bridge fdb append 00:00:00:00:00:00 dev ${A.vxlan} dst 10.199.4.14 self permanent`]);
    expect(joined.cmds[0]?.input).toBe(`add element inet ${FIREWALL.table} vteps { 10.199.4.14 }\n`);
    const left = converge(host([overlay('net-a', { peers: ['10.199.4.12'], remotes: [overlay('net-a').remotes[0]!] })]), joined.state);
    expect(text(left.cmds)).toEqual([
      'nft -f -',
      `bridge fdb del 00:00:00:00:00:00 dev ${A.vxlan} dst 10.199.4.13`,
      `bridge fdb del 00:00:00:00:00:00 dev ${A.vxlan} dst 10.199.4.14`,
      `bridge fdb del 02:42:0a:4d:00:03 dev ${A.vxlan}`,
      `ip neigh del 10.77.0.3 dev ${A.shim}`,
    ]);
    expect(left.cmds[0]?.input).toBe(`delete element inet ${FIREWALL.table} vteps { 10.199.4.14 }\n`);
  });

  it('moves a remote endpoint to another VTEP with one atomic fdb replace, leaving its neighbour alone', () => {
    const { state } = converge(host(), fresh());
    const moved = overlay('net-a', { remotes: [{ ip: '10.77.0.2', mac: '02:42:0a:4d:00:02', vtep: '10.199.4.13' }, overlay('net-a').remotes[1]!] });
    expect(text(converge(host([moved]), state).cmds)).toEqual([`bridge fdb replace 02:42:0a:4d:00:02 dev ${A.vxlan} dst 10.199.4.13 self permanent`]);
  });

  it('re-points a neighbour whose MAC changed, and makes a learned (dynamic) entry for a remote permanent', () => {
    const { state } = converge(host(), fresh());
    const s2: OverlayObserved = { ...state, neighbours: { [A.shim]: [{ ip: '10.77.0.2', mac: '02:42:0a:4d:00:99', permanent: true }, { ip: '10.77.0.3', mac: '02:42:0a:4d:00:03', permanent: false }, { ip: '10.77.0.50', mac: '02:42:0a:4d:00:32', permanent: false }] } };
    expect(text(converge(host(), s2).cmds)).toEqual([
      `ip neigh replace 10.77.0.2 lladdr 02:42:0a:4d:00:02 dev ${A.shim} nud permanent`,
      `ip neigh replace 10.77.0.3 lladdr 02:42:0a:4d:00:03 dev ${A.shim} nud permanent`,
    ]);
  });

  it('deletes a stale VXLAN device with our prefix (its shim goes with it) and an orphan shim; leaves foreign devices', () => {
    const { state } = converge(host([overlay('net-a'), overlay('net-b')]), fresh());
    const foreign: ObservedLink = { name: 'vxlan0', kind: 'vxlan', mtu: 1450, up: true, master: undefined, vxlan: { vni: 9, port: 4789, local: undefined, learning: true } };
    const orphan: ObservedLink = { name: 'tsgw-0000000000', kind: 'macvlan', mtu: 1500, up: true, master: undefined, vxlan: undefined, parent: 'eth0', macvlanMode: 'bridge', addresses: [] };
    const s2 = { ...state, links: [...state.links, foreign, orphan] };
    const { state: after } = converge(host(), s2);
    expect(text(plan(host(), s2).commands)).toEqual([`ip link del dev ${B.vxlan}`, 'ip link del dev tsgw-0000000000']);
    expect(after.links.map((l) => l.name)).toEqual(['lo', 'eth0', A.vxlan, A.shim, 'vxlan0']);
  });

  it('recreates a device whose VNI, port or local address changed, with its shim, and reprograms both', () => {
    const { state } = converge(host(), fresh());
    for (const change of [{ vni: 5000 }, { port: 4790 }, { local: '10.199.4.99' }]) {
      const { cmds } = converge(host([overlay('net-a', change)]), state);
      const t = text(cmds).filter((c) => !c.startsWith('nft'));
      expect(t[0]).toBe(`ip link del dev ${A.vxlan}`);
      expect(t[1]).toMatch(new RegExp(`^ip link add ${A.vxlan} .* type vxlan`));
      expect(t[2]).toMatch(new RegExp(`^ip link add ${A.shim} link ${A.vxlan} .* type macvlan mode bridge`));
      expect(t.filter((c) => c.startsWith('bridge fdb'))).toHaveLength(4);
      expect(t.filter((c) => c.startsWith('ip neigh'))).toHaveLength(2);
    }
  });

  it('recreates a device that learns; fixes mtu, a bridge master of the old layout and up in place with one command', () => {
    const { state } = converge(host(), fresh());
    const learned = setLink(state, A.vxlan, (l) => ({ ...l, vxlan: { ...l.vxlan!, learning: true } }));
    expect(text(plan(host(), learned).commands)[0]).toBe(`ip link del dev ${A.vxlan}`);
    expect(text(converge(host([overlay('net-a', { mtu: 1400 })]), state).cmds)).toEqual([`ip link set dev ${A.vxlan} mtu 1400`, `ip link set dev ${A.shim} mtu 1400`]);
    const loose = setLink(state, A.vxlan, (l) => ({ ...l, up: false, master: 'tsbr-1d509e1a7b' }));
    expect(text(converge(host(), loose).cmds)).toEqual([`ip link set dev ${A.vxlan} nomaster up`]);
  });

  it('gives the shim exactly its address, brings it up, and replaces a shim that is not a bridge-mode macvlan of its device', () => {
    const { state } = converge(host(), fresh());
    const extra = setLink(state, A.shim, (l) => ({ ...l, up: false, addresses: ['10.77.0.9/24'] }));
    expect(text(converge(host(), extra).cmds)).toEqual([`ip addr replace 10.77.0.1/24 dev ${A.shim}`, `ip addr del 10.77.0.9/24 dev ${A.shim}`, `ip link set dev ${A.shim} up`]);
    const privateMode = setLink(state, A.shim, (l) => ({ ...l, macvlanMode: 'private' }));
    expect(text(converge(host(), privateMode).cmds).slice(0, 2)).toEqual([`ip link del dev ${A.shim}`, `ip link add ${A.shim} link ${A.vxlan} address 02:42:0a:4d:00:01 mtu 1450 type macvlan mode bridge`]);
    // Its MAC is derived from its address (other nodes route ingress replies by it): a shim made
    // with a random one (older versions) is given it in place, not rebuilt.
    const randomMac = setLink(state, A.shim, (l) => ({ ...l, mac: '96:8c:0b:38:4f:a9' }));
    expect(text(converge(host(), randomMac).cmds)).toEqual([`ip link set dev ${A.shim} address 02:42:0a:4d:00:01`]);
  });

  it('swaps VNIs between two networks in one pass: every deletion before any creation', () => {
    const { state } = converge(host([overlay('net-a'), overlay('net-b')]), fresh());
    const swapped = host([overlay('net-a', { vni: 4101 }), overlay('net-b', { vni: 4100 })]);
    const t = text(converge(swapped, state).cmds);
    expect(t.slice(0, 2)).toEqual([`ip link del dev ${A.vxlan}`, `ip link del dev ${B.vxlan}`]);
  });

  it('reports a VNI held by a device that is not ours as pending instead of failing on it, and still programs the others', () => {
    const s = fresh();
    const squat: ObservedLink = { name: 'vxlan7', kind: 'vxlan', mtu: 1450, up: true, master: undefined, vxlan: { vni: 4100, port: 4789, local: undefined, learning: true } };
    const p = plan(host([overlay('net-a'), overlay('net-b')]), { ...s, links: [...s.links, squat] });
    expect(p.pending).toEqual([{ key: 'net-a', reason: expect.stringContaining('held by vxlan7') }]);
    expect(text(p.commands).some((c) => c.includes(A.vxlan))).toBe(false);
    expect(text(p.commands).some((c) => c.includes(B.vxlan))).toBe(true);
  });

  it('rebuilds the firewall whole when its rules are not exactly ours, and patches only set elements otherwise', () => {
    const { state } = converge(host(), fresh());
    const broken = { ...state, firewall: { ...state.firewall!, intact: false } };
    const p = plan(host(), broken);
    expect(text(p.commands)).toEqual(['nft -f -']);
    expect(p.commands[0]?.input).toContain(`delete table inet ${FIREWALL.table}`);
    // An overlay on another port adds that port to the filtered set.
    const other = converge(host([overlay('net-a', { port: 4790 })]), state);
    expect(other.cmds[0]?.input).toBe(`add element inet ${FIREWALL.table} ports { 4790 }\n`);
  });

  it('filters the cluster port even with no overlay on the host', () => {
    const p = plan(host([]), fresh());
    expect(p.commands[0]?.input).toBe(renderFirewall(['10.199.4.12', '10.199.4.13'], [4789]));
    expect(p.commands).toHaveLength(1);
  });

  it('teardown removes the firewall and our devices (shims with their VXLAN devices), nothing else', () => {
    const { state } = converge(host([overlay('net-a'), overlay('net-b')]), fresh());
    const orphan: ObservedLink = { name: 'tsgw-0000000000', kind: 'macvlan', mtu: 1500, up: true, master: undefined, vxlan: undefined, parent: 'eth0', macvlanMode: 'bridge', addresses: [] };
    const cmds = planTeardown({ ...state, links: [...state.links, orphan] });
    expect(text(cmds)).toEqual([`nft delete table inet ${FIREWALL.table}`, 'ip link del dev tsgw-0000000000', `ip link del dev ${A.vxlan}`, `ip link del dev ${B.vxlan}`]);
    const after = applyFake({ ...state, links: [...state.links, orphan] }, cmds);
    expect(planTeardown(after)).toEqual([]);
    expect(after.links.map((l) => l.name)).toEqual(['lo', 'eth0']);
  });
});
