/** Device naming, Docker's MAC derivation, the VXLAN MTU, and validation of the wanted state. */
import { describe, expect, it } from 'vitest';
import { macForIp, overlayMtu } from '../../../src/net/overlay/addressing.js';
import { OverlayWantedError } from '../../../src/net/overlay/errors.js';
import { overlayDeviceNames, SHIM_PREFIX, VXLAN_PREFIX } from '../../../src/net/overlay/names.js';
import type { OverlayHostWanted, OverlayWanted } from '../../../src/net/overlay/types.js';
import { validateWanted } from '../../../src/net/overlay/validate.js';

describe('overlay names and addresses', () => {
  it('derives stable 15-char device names with our prefixes from any key', () => {
    for (const key of ['a', 'net-a', 'x'.repeat(200), 'ünïcode/with spaces']) {
      const n = overlayDeviceNames(key);
      expect(n.shim.length).toBe(15);
      expect(n.vxlan.length).toBe(15);
      expect(n.shim.startsWith(SHIM_PREFIX) && n.vxlan.startsWith(VXLAN_PREFIX)).toBe(true);
      expect(n.vxlan.slice(VXLAN_PREFIX.length)).toBe(n.shim.slice(SHIM_PREFIX.length));
      expect(overlayDeviceNames(key)).toEqual(n);
    }
    expect(overlayDeviceNames('net-a')).toEqual({ shim: 'tsgw-1d509e1a7b', vxlan: 'tsvx-1d509e1a7b' });
    expect(overlayDeviceNames('net-a').vxlan).not.toBe(overlayDeviceNames('net-b').vxlan);
  });

  it('derives the MAC the way Docker does: 02:42 and the address bytes', () => {
    expect(macForIp('10.77.0.5')).toBe('02:42:0a:4d:00:05');
    expect(macForIp('172.17.255.254')).toBe('02:42:ac:11:ff:fe');
    expect(() => macForIp('fe80::1')).toThrow(RangeError);
  });

  it('leaves 50 bytes for the VXLAN headers', () => {
    expect(overlayMtu(1500)).toBe(1450);
    expect(overlayMtu(9001)).toBe(8951);
    expect(() => overlayMtu(100)).toThrow(RangeError);
  });
});

describe('overlay wanted-state validation', () => {
  const base = (over: Partial<OverlayWanted> = {}): OverlayHostWanted => ({
    overlays: [{ key: 'net-a', ...overlayDeviceNames('net-a'), address: '10.77.0.1/24', vni: 4100, port: 4789, mtu: 1450, local: '10.0.0.1', peers: ['10.0.0.3', '10.0.0.2', '10.0.0.2'], remotes: [{ ip: '10.77.0.2', mac: '02:42:0A:4D:00:02', vtep: '10.0.0.2' }], ...over }],
    allowedVteps: ['10.0.0.2'],
    port: 4789,
  });

  it('normalises: sorted unique peers, lower-case MACs', () => {
    const o = validateWanted(base()).overlays[0]!;
    expect(o.peers).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(o.remotes[0]?.mac).toBe('02:42:0a:4d:00:02');
  });

  it.each([
    [{ peers: ['10.0.0.1'] }, /peers: lists this host's own address/],
    [{ local: 'fd00::1' }, /local: "fd00::1" is not an IPv4 address/],
    [{ vni: 0 }, /vni: 0 is not an integer in 1\.\.16777215/],
    [{ vxlan: 'vxlan0' }, /must start with tsvx-/],
    [{ shim: 'a-very-long-shim-name' }, /shim: .* is not a device name/],
    [{ shim: 'eth1' }, /must start with tsgw-/],
    [{ address: '10.77.0.1' }, /address: "10\.77\.0\.1" is not an IPv4 address with a prefix length/],
    [{ address: '10.77.0.1/33' }, /address: .* prefix length/],
    [{ remotes: [{ ip: '10.77.0.2', mac: '02:42:0a:4d:00:02', vtep: '10.0.0.1' }] }, /remotes\[0\]\.vtep: 10\.77\.0\.2 is on this host/],
    [{ remotes: [{ ip: '10.77.0.2', mac: 'zz', vtep: '10.0.0.2' }] }, /remotes\[0\]\.mac: "zz" is not a unicast MAC/],
    [{ remotes: [{ ip: '10.77.0.2', mac: '02:42:0a:4d:00:02', vtep: '10.0.0.2' }, { ip: '10.77.0.2', mac: '02:42:0a:4d:00:02', vtep: '10.0.0.3' }] }, /listed twice/],
  ])('refuses %o', (over, re) => {
    expect(() => validateWanted(base(over))).toThrow(OverlayWantedError);
    expect(() => validateWanted(base(over))).toThrow(re);
  });

  it('refuses two networks on one VNI and port', () => {
    const w = base();
    const other = { ...w.overlays[0]!, key: 'net-b', ...overlayDeviceNames('net-b') };
    expect(() => validateWanted({ ...w, overlays: [...w.overlays, other] })).toThrow(/overlays\[net-b\]: same VNI and port as overlays\[net-a\]: 4100\/4789/);
    expect(validateWanted({ ...w, overlays: [...w.overlays, { ...other, port: 4790 }] }).overlays).toHaveLength(2);
  });
});
