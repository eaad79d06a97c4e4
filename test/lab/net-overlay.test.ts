/**
 * The overlay dataplane on two lab hosts with their own dockerd each: the dataplane (run from this
 * process inside each host's netns) makes the VXLAN device and the host's shim (its own address
 * per host), fdb, neighbours and the firewall; Docker makes a macvlan network on the VXLAN device
 * with the same subnet on both, and containers on the two hosts talk. Also checks Docker's MAC derivation, that a converged host plans nothing, that the firewall
 * really drops VXLAN from sources not allowed, and that teardown leaves nothing. Needs root.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macForIp, overlayDeviceNames, overlayMtu, OverlayDataplane, SHIM_PREFIX, VXLAN_PREFIX, type OverlayHostWanted, type OverlayWanted } from '../../src/net/overlay/index.js';
import { eventually, Lab, run, teardownLab, type LabConfig, type LabHost } from './harness.js';

// Own lab name and underlay (other lab tests use other names and nets).
const CFG: LabConfig = { name: 'tsnov', net: 7 };
const IMAGE = 'tscompose-test/busybox:latest';
const KEY = 'tsnov-overlay-1';
const NAMES = overlayDeviceNames(KEY);
const SUBNET = '10.77.0.0/24';
const NET = 'ovnet';
const VNI = 4242;
const PORT = 4789;
/** Container addresses come from "the cluster IPAM" (here: us), never from each dockerd (DESIGN.md). */
const C1 = '10.77.0.11';
const C2 = '10.77.0.21';
/** Each host's own address on the overlay (its shim). */
const GW1 = '10.77.0.1';
const GW2 = '10.77.0.2';

let lab: Lab | undefined;
let h1: LabHost;
let h2: LabHost;
let mtu = 0;
const planes = new Map<string, OverlayDataplane>();

const plane = (h: LabHost): OverlayDataplane => {
  const p = planes.get(h.id) ?? new OverlayDataplane({ netns: h.netnsPath });
  planes.set(h.id, p);
  return p;
};

/** What host `h` should hold when the containers are c1 on h1 and c2 on h2. */
function wanted(h: LabHost, over: Partial<OverlayWanted> = {}, allowed?: string[]): OverlayHostWanted {
  const other = h === h1 ? h2 : h1;
  const remote = h === h1 ? C2 : C1;
  const address = `${h === h1 ? GW1 : GW2}/24`;
  return {
    overlays: [{ key: KEY, ...NAMES, address, vni: VNI, port: PORT, mtu, local: h.ip, peers: [other.ip], remotes: [{ ip: remote, mac: macForIp(remote), vtep: other.ip }], ...over }], // eslint-disable-line max-len -- one overlay, read as one
    allowedVteps: allowed ?? [h1.ip, h2.ip],
    port: PORT,
  };
}

function docker(h: LabHost, args: string[], check = true): ReturnType<Lab['docker']> {
  return lab!.docker(h, args, { check, timeoutMs: 60_000 });
}

async function ping(from: string, ip: string, count = 1): Promise<boolean> {
  const r = await docker(from === 'c1' ? h1 : h2, ['exec', from, 'ping', '-c', String(count), '-W', '2', ip], false);
  return r.code === 0;
}

describe('overlay dataplane on two lab hosts', () => {
  beforeAll(async () => {
    await teardownLab(CFG);
    lab = await Lab.up({ ...CFG, hosts: 2 });
    h1 = lab.host(1);
    h2 = lab.host(2);
    const eth0 = JSON.parse((await lab.exec(h1, ['ip', '-j', 'link', 'show', 'eth0'])).stdout) as Array<{ mtu: number }>;
    mtu = overlayMtu(eth0[0]!.mtu);
    for (const [h, gw] of [[h1, GW1], [h2, GW2]] as const) {
      // The devices first (Docker's macvlan driver needs its parent), with no peer or remote yet.
      expect((await plane(h).converge(wanted(h, { peers: [], remotes: [] }))).pending).toEqual([]);
      await docker(h, ['network', 'create', '-d', 'macvlan', '--internal', '--subnet', SUBNET, '--gateway', gw, '-o', `parent=${NAMES.vxlan}`, '-o', 'macvlan_mode=bridge', NET]);
    }
    // busybox as PID 1 ignores SIGTERM: trap it so removal does not wait the grace period. The
    // server's stdin is a pipe that stays open: busybox nc quits at once on a stdin at EOF.
    await docker(h1, ['run', '-d', '--name', 'c1', '--network', NET, '--ip', C1, IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"]);
    await docker(h2, ['run', '-d', '--name', 'c2', '--network', NET, '--ip', C2, IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 | nc -l -p 7000 > /tmp/recv & wait"]);
  }, 180_000);

  afterAll(async () => {
    if (lab === undefined) return;
    try {
      for (const h of lab.hosts) {
        await plane(h).teardown().catch((e: unknown) => console.error(`[net-overlay] teardown ${h.id}: ${String(e)}`));
        await docker(h, ['rm', '-f', 'c1', 'c2'], false);
        await docker(h, ['network', 'rm', NET], false);
      }
    } finally {
      await lab.teardown();
    }
  }, 120_000);

  it("Docker 20.10 gives each endpoint the MAC 02:42:<ip bytes>, and the overlay MTU reaches the container", async () => {
    for (const [h, c, ip] of [[h1, 'c1', C1], [h2, 'c2', C2]] as const) {
      const r = await docker(h, ['inspect', c, '--format', `{{json .NetworkSettings.Networks}}`]);
      const nets = JSON.parse(r.stdout) as Record<string, { MacAddress: string; IPAddress: string }>;
      expect(nets[NET]?.IPAddress).toBe(ip);
      expect(nets[NET]?.MacAddress).toBe(macForIp(ip));
      const link = await docker(h, ['exec', c, 'cat', '/sys/class/net/eth0/mtu']);
      expect(Number(link.stdout.trim())).toBe(mtu);
    }
    const server = (await docker(h1, ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
    console.log(`[net-overlay] engine ${server}, underlay MTU ${mtu + 50}, overlay MTU ${mtu}`);
    // Without flood and unicast entries the hosts do not reach each other's containers.
    expect(await ping('c1', C2)).toBe(false);
  }, 60_000);

  it('converges both hosts; containers ping and stream TCP across them; the host reaches a remote container by its neighbour entry', async () => {
    for (const h of [h1, h2]) {
      const r = await plane(h).converge(wanted(h));
      expect(r.pending).toEqual([]);
      expect(r.commands).toBeGreaterThan(0);
    }
    await eventually(() => ping('c1', C2), { timeoutMs: 15_000, what: 'c1 pings c2 over the overlay' });
    expect(await ping('c2', C1, 3)).toBe(true);
    // Each host's own shim answers its containers (and the other host's: ARP for it crosses the tunnel).
    expect(await ping('c1', GW1)).toBe(true);
    expect(await ping('c2', GW2)).toBe(true);
    expect(await ping('c1', GW2)).toBe(true);

    // 2 MiB of random data: full-size segments, so a wrong MTU anywhere would stall it.
    await docker(h1, ['exec', 'c1', 'sh', '-c', 'dd if=/dev/urandom of=/tmp/data bs=1024 count=2048 2>/dev/null']);
    const sent = (await docker(h1, ['exec', 'c1', 'md5sum', '/tmp/data'])).stdout.split(' ')[0];
    await docker(h1, ['exec', 'c1', 'sh', '-c', `nc ${C2} 7000 < /tmp/data`]);
    const got = await eventually(
      async () => {
        const r = await docker(h2, ['exec', 'c2', 'sh', '-c', 'wc -c < /tmp/recv; md5sum /tmp/recv'], false);
        const [size, sum] = r.stdout.trim().split('\n');
        return Number(size) === 2048 * 1024 ? sum?.split(' ')[0] : undefined;
      },
      { timeoutMs: 20_000, what: 'c2 received 2 MiB' },
    );
    expect(got).toBe(sent);

    // The permanent neighbour: h1's own stack (shim address .1) reaches c2 with no ARP.
    const neigh = JSON.parse((await lab!.exec(h1, ['ip', '-j', 'neigh', 'show', 'dev', NAMES.shim])).stdout) as Array<{ dst: string; lladdr?: string; state: string[] }>;
    expect(neigh.find((n) => n.dst === C2)).toMatchObject({ lladdr: macForIp(C2), state: ['PERMANENT'] });
    expect((await lab!.exec(h1, ['busybox', 'ping', '-c', '1', '-W', '2', C2], { check: false })).code).toBe(0);
  }, 120_000);

  it('a second converge, even by a fresh dataplane (a restarted daemon), runs no command', async () => {
    for (const h of [h1, h2]) {
      const fresh = new OverlayDataplane({ netns: h.netnsPath });
      expect((await fresh.plan(wanted(h))).commands).toEqual([]);
      expect(await fresh.converge(wanted(h))).toEqual({ commands: 0, pending: [] });
    }
  });

  it('removing a peer removes exactly its flood entry; adding it back restores it', async () => {
    const floods = async (): Promise<string[]> => {
      const o = await plane(h1).observe();
      return (o.fdb[NAMES.vxlan] ?? []).filter((e) => e.mac === '00:00:00:00:00:00').map((e) => e.dst);
    };
    expect(await floods()).toEqual([h2.ip]);
    // A third (absent) host joins and leaves: one command each.
    expect((await plane(h1).converge(wanted(h1, { peers: [h2.ip, '10.199.4.13'] }))).commands).toBe(1);
    expect((await floods()).sort()).toEqual([h2.ip, '10.199.4.13'].sort());
    expect((await plane(h1).converge(wanted(h1, { peers: [h2.ip] }))).commands).toBe(1);
    expect(await floods()).toEqual([h2.ip]);
    expect((await plane(h1).converge(wanted(h1, { peers: [] }))).commands).toBe(1);
    expect(await floods()).toEqual([]);
    // The unicast entry for c2 is still there, so c1 still reaches c2 (its ARP is cached or answered by unicast).
    const o = await plane(h1).observe();
    expect(o.fdb[NAMES.vxlan]).toEqual([{ mac: macForIp(C2), dst: h2.ip }]);
    expect((await plane(h1).converge(wanted(h1))).commands).toBe(1);
    expect(await floods()).toEqual([h2.ip]);
    expect(await ping('c1', C2)).toBe(true);
  }, 60_000);

  it('the firewall drops VXLAN from sources that are not allowed, and counts them', async () => {
    const dropped = async (): Promise<number> => (await plane(h1).observe()).firewall?.dropped ?? -1;
    expect((await plane(h1).converge(wanted(h1))).commands).toBe(0);
    expect(await ping('c1', C2)).toBe(true);
    // All the cross-host traffic so far came from an allowed VTEP.
    expect(await dropped()).toBe(0);

    // A source outside the cluster: the lab bridge's own address in the root netns.
    const sock = createSocket('udp4');
    try {
      for (let i = 0; i < 5; i++) await new Promise<void>((res, rej) => sock.send(Buffer.alloc(64), PORT, h1.ip, (e) => (e ? rej(e) : res())));
    } finally {
      sock.close();
    }
    await eventually(async () => (await dropped()) >= 5, { timeoutMs: 5000, what: 'the drop counter to count 5 packets' });

    // h2 leaves the allowed set on h1: its replies no longer get in, so the ping fails.
    const before = await dropped();
    await plane(h1).converge(wanted(h1, {}, [h1.ip]));
    expect(await ping('c1', C2)).toBe(false);
    expect(await dropped()).toBeGreaterThan(before);
    await plane(h1).converge(wanted(h1));
    await eventually(() => ping('c1', C2), { timeoutMs: 10_000, what: 'c1 pings c2 again' });
  }, 60_000);

  it('the host routes nothing into or out of an overlay through its shim', async () => {
    // A task on another network of this host (here: the default bridge) sending to the overlay
    // goes to the host, which has a connected route to the subnet through the shim: dropped.
    const routedIn = async (): Promise<number> => {
      const doc = JSON.parse((await lab!.exec(h1, ['nft', '-j', 'list', 'chain', 'inet', 'tsswarm_overlay', 'forward'])).stdout) as { nftables: Array<{ rule?: { comment?: string; expr?: Array<{ counter?: { packets: number } }> } }> };
      const rule = doc.nftables.find((x) => x.rule?.comment === 'tsswarm-no-route-in')?.rule;
      return rule?.expr?.find((x) => x.counter !== undefined)?.counter?.packets ?? -1;
    };
    const before = await routedIn();
    await docker(h1, ['run', '-d', '--name', 'c3', IMAGE, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"]);
    try {
      const r = await docker(h1, ['exec', 'c3', 'ping', '-c', '2', '-W', '1', C1], false);
      expect(r.code).not.toBe(0);
      expect(await routedIn()).toBeGreaterThanOrEqual(before + 2);
    } finally {
      await docker(h1, ['rm', '-f', 'c3'], false);
    }
  }, 60_000);

  it('teardown leaves no device, fdb, neighbour or nft table of ours, and the hosts are cut apart again', async () => {
    for (const h of [h1, h2]) {
      const r = await plane(h).teardown();
      expect(r.commands).toBeGreaterThan(0);
      const o = await plane(h).observe();
      expect(o.links.filter((l) => l.name.startsWith(VXLAN_PREFIX) || l.name.startsWith(SHIM_PREFIX))).toEqual([]);
      expect(o.firewall).toBeUndefined();
      const tables = await lab!.exec(h, ['nft', 'list', 'tables']);
      expect(tables.stdout).not.toContain('tsswarm_overlay');
      expect((await plane(h).teardown()).commands).toBe(0);
    }
    // The containers' interfaces were macvlans of the deleted device: gone with it.
    expect(await ping('c1', C2)).toBe(false);
    for (const h of [h1, h2]) {
      await docker(h, ['rm', '-f', h === h1 ? 'c1' : 'c2']);
      await docker(h, ['network', 'rm', NET]);
      const link = await run('nsenter', [`--net=${h.netnsPath}`, '--', 'ip', 'link', 'show', NAMES.shim], { check: false });
      expect(link.code).not.toBe(0);
    }
  }, 60_000);
});
