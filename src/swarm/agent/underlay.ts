import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { hostOf } from '../../util/host-of.js';

const run = promisify(execFile);

/**
 * This node's underlay: the address other nodes reach it on (its advertise address, without a
 * port) and the MTU of the interface holding it, from which overlay MTUs are derived (minus the
 * 50 bytes VXLAN adds). Read from the kernel each time: an interface's MTU can change.
 */
export async function readUnderlay(advertiseAddr: string): Promise<{ address: string; mtu: number }> {
  const address = hostOf(advertiseAddr);
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (!addrs?.some((a) => a.family === 'IPv4' && a.address === address)) continue;
    // Asked of the kernel through netlink, not /sys: a daemon started in another network namespace
    // (`nsenter --net`, as the lab does) still sees the machine's /sys and would read the wrong
    // interface's MTU.
    const mtu = await run('ip', ['-j', 'link', 'show', 'dev', name], { timeout: 5000 })
      .then((r) => (JSON.parse(r.stdout) as Array<{ mtu?: number }>)[0]?.mtu ?? 1500)
      .catch(() => 1500);
    return { address, mtu: Number.isInteger(mtu) && mtu >= 1280 ? mtu : 1500 };
  }
  // An advertise address behind NAT is not on any interface here: assume Ethernet's MTU.
  return { address, mtu: 1500 };
}
