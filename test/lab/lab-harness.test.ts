/**
 * The lab harness itself: hosts come up as separate Docker hosts on one underlay, links can be cut
 * and healed, engines restarted, and teardown leaves nothing behind. Needs root and the main
 * engine's test image (scripts/setup-host.sh).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, residueOf, teardownLab, type LabConfig } from './harness.js';

// Its own name and underlay, so the test never touches a lab someone started with scripts/lab.sh.
const CFG: LabConfig = { name: 'tslt', net: 1 };
const IMAGE = 'tscompose-test/busybox:latest';

let lab: Lab;
let startupMs = 0;

/** True while `pid` runs (a zombie, dead but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A container on `from` pings `ip` once; true when it answered. */
async function pingFrom(from: string, ip: string): Promise<boolean> {
  const r = await lab.docker(from, ['run', '--rm', '--network', 'bridge', IMAGE, 'ping', '-c', '1', '-W', '2', ip], { check: false, timeoutMs: 20_000 });
  return r.code === 0;
}

describe('lab harness', () => {
  beforeAll(async () => {
    // A previous run killed half-way must not make this one fail.
    await teardownLab(CFG);
    const t0 = Date.now();
    lab = await Lab.up({ ...CFG, hosts: 3 });
    startupMs = Date.now() - t0;
    console.log(`[lab] 3 hosts up in ${startupMs} ms`);
  }, 120_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('brings up 3 engines, each with its own ID, hostname and underlay address', async () => {
    expect(startupMs).toBeLessThan(90_000);
    const infos = await Promise.all(
      lab.hosts.map(async (h) => {
        const r = await lab.docker(h, ['info', '--format', '{{.ID}} {{.Name}}']);
        const [id, name] = r.stdout.trim().split(' ');
        return { id, name };
      }),
    );
    expect(new Set(infos.map((i) => i.id)).size).toBe(3);
    expect(infos.map((i) => i.name)).toEqual(['h1', 'h2', 'h3']);
    const addr = await lab.exec('h2', ['ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(addr.stdout).toContain('10.199.1.12/24');
    const hostname = await lab.exec('h3', ['hostname']);
    expect(hostname.stdout.trim()).toBe('h3');
    // The test image was copied into every engine.
    for (const h of lab.hosts) await lab.docker(h, ['image', 'inspect', IMAGE]);
  });

  it('a container on h1 reaches h2 over the underlay; a cut link stops it, healing restores it', async () => {
    const h2 = lab.host('h2');
    expect(await pingFrom('h1', h2.ip)).toBe(true);
    await lab.cut('h2');
    expect(await pingFrom('h1', h2.ip)).toBe(false);
    await lab.heal('h2');
    expect(await pingFrom('h1', h2.ip)).toBe(true);
  }, 60_000);

  it('partitions one pair of hosts and leaves the others connected', async () => {
    const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
    await lab.partition(h1, h2);
    const ping = (from: typeof h1, to: typeof h1) => lab.exec(from, ['busybox', 'ping', '-c', '1', '-W', '1', to.ip], { check: false });
    expect((await ping(h1, h2)).code).not.toBe(0);
    expect((await ping(h2, h1)).code).not.toBe(0);
    expect((await ping(h1, h3)).code).toBe(0);
    expect(await pingFrom('h1', h2.ip)).toBe(false);
    await lab.unpartition(h1, h2);
    await lab.unpartition(h1, h2); // healing twice is harmless
    expect((await ping(h1, h2)).code).toBe(0);
  }, 60_000);

  it('kills and restarts a dockerd, keeping its engine ID', async () => {
    const before = (await lab.docker('h3', ['info', '--format', '{{.ID}}'])).stdout.trim();
    const pid = lab.dockerdPid('h3');
    expect(pid).toBeDefined();
    await lab.killDockerd('h3', 'SIGKILL');
    expect(lab.dockerdPid('h3')).toBeUndefined();
    expect((await lab.docker('h3', ['info'], { check: false, timeoutMs: 10_000 })).code).not.toBe(0);
    await lab.startDockerd('h3');
    expect(lab.dockerdPid('h3')).not.toBe(pid);
    expect((await lab.docker('h3', ['info', '--format', '{{.ID}}'])).stdout.trim()).toBe(before);
    // And a graceful restart with a running container.
    await lab.docker('h3', ['run', '-d', '--name', 'sleeper', '--init', IMAGE, 'sleep', '300']);
    await lab.restartDockerd('h3');
    const ps = await lab.docker('h3', ['ps', '-a', '--format', '{{.Names}}']);
    expect(ps.stdout).toContain('sleeper');
  }, 90_000);

  let spawnedPid = 0;
  it('tracks processes spawned in a host and sees the host network from them', async () => {
    const p = lab.spawnInHost('h1', 'sleep', ['300']);
    spawnedPid = p.pid;
    expect(p.pid).toBeGreaterThan(0);
    const ns = (await lab.exec('h1', ['readlink', '/proc/self/ns/net'])).stdout.trim();
    expect(readlinkSync(`/proc/${p.pid}/ns/net`)).toBe(ns);
  });

  it('teardown leaves no netns, links, rules, mounts, processes, cgroups or directories, and is safe twice', async () => {
    // Leave a running container (busybox PID 1, which ignores SIGTERM) on every host, so teardown
    // has mounts and shims to clean, and crash h2's engine so its container is orphaned.
    await Promise.all(lab.hosts.map((h) => lab.docker(h, ['run', '-d', IMAGE, 'sleep', '300'])));
    await lab.killDockerd('h2', 'SIGKILL');
    const t0 = Date.now();
    const report = await lab.teardown();
    console.log(`[lab] teardown in ${Date.now() - t0} ms: ${JSON.stringify(report)}`);
    expect(report.netns.length).toBe(3);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(alive(spawnedPid)).toBe(false);
    expect(await residueOf(CFG)).toEqual({ netns: [], links: [], mounts: [], pids: [], rules: [], cgroups: [], dirs: [] });
    const again = await lab.teardown();
    expect(again).toEqual({ killed: 0, unmounted: 0, netns: [], links: [], rules: 0 });
  }, 60_000);
});

describe('lab harness after a failed setup', () => {
  it('tears down what a half-made lab left', async () => {
    // A dockerd that cannot start makes setup fail after the network exists.
    const bad = { name: 'tslf', net: 2 } as const;
    await teardownLab(bad);
    const prev = process.env.TSLAB_DOCKERD;
    process.env.TSLAB_DOCKERD = '/bin/false';
    try {
      await expect(Lab.up({ ...bad, hosts: 2, images: [], startTimeoutMs: 5000 })).rejects.toThrow(/dockerd exited/);
    } finally {
      if (prev === undefined) delete process.env.TSLAB_DOCKERD;
      else process.env.TSLAB_DOCKERD = prev;
    }
    expect(await residueOf(bad)).toEqual({ netns: [], links: [], mounts: [], pids: [], rules: [], cgroups: [], dirs: [] });
    await teardownLab(bad); // and again, on nothing
  }, 60_000);
});
